"""The district staff's home: what waits for them today, read from kept counts."""
