from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "openpoam.web"
    label = "web"
    verbose_name = "OpenPOAM web interface"
