"""ApiToken now belongs to the accounts app (accounts 0004 takes it over): only Django's
record of the model moves; the table api_apitoken and its rows stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("api", "0002_token_expiry")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken")],
            database_operations=[],
        ),
    ]
