"""API tokens expire: existing tokens get 90 days from this upgrade (not from their creation,
which would cut running pipelines off at once)."""

from datetime import timedelta

from django.db import migrations, models
from django.utils import timezone


def expire_in_90_days(apps, schema_editor):
    token = apps.get_model("api", "ApiToken")
    token.objects.filter(expires_at__isnull=True).update(
        expires_at=timezone.now() + timedelta(days=90))


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [
        migrations.AddField(model_name="apitoken", name="expires_at",
                            field=models.DateTimeField(blank=True, null=True)),
        migrations.RunPython(expire_in_90_days, migrations.RunPython.noop),
    ]
