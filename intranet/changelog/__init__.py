"""The change log shared by forms and roadmaps, and the conflicts sync finds."""
