from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openpoam.accounts"
    label = "accounts"
    verbose_name = "Accounts and sign-in"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from openpoam.accounts import checks, middleware  # noqa: F401  (the sign-in receiver;
        # the provider's discovery document among the deployment checks)
