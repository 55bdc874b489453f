"""The accounts' write path: users, members, second factors and sign-in lockouts. Like the
tracker services, each checks the actor against the permission table and records every
change in the audit trail in the same transaction."""
