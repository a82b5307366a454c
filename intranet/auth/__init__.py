"""Authentication (login, passwords, lockout) and authorization (roles, scopes)."""
