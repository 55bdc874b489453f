from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "openpoam.tracker"
    label = "tracker"
    verbose_name = "POA&M tracker"

    def ready(self) -> None:
        from openpoam.tracker import textguard
        from openpoam.tracker.services import history, item_checks

        textguard.connect()
        if item_checks.refresh_uuids not in history.after_save:
            history.after_save.append(item_checks.refresh_uuids)
