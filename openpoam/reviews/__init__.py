"""The monthly cadence: reviews, frozen snapshots, metrics, the executive report, reminders
and calendar feeds. Rules live in ``openpoam.domain`` (checks, metrics, snapshots); this app
stores reviews and snapshots and presents them."""
