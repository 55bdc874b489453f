"""The write path and the read models of reviews, snapshots, metrics, reports, reminders and
calendar feeds. Each write checks the actor's role and records what it did."""
