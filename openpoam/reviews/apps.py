from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "openpoam.reviews"
    label = "reviews"
    verbose_name = "Reviews and reporting"
    default_auto_field = "django.db.models.BigAutoField"
