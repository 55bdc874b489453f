from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "openpoam.tracker"
    label = "tracker"
    verbose_name = "POA&M tracker"
