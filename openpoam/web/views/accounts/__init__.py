"""The accounts pages: sign-in with a second factor, authenticator enrolment, members and
the audit trail."""
