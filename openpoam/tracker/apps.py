from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "openpoam.tracker"
    label = "tracker"
    verbose_name = "POA&M tracker"

    def ready(self) -> None:
        from openpoam.tracker import textguard

        textguard.connect()
