"""The audit log: every write, who made it, and the values before and after."""
