"""An affected asset's item has no index of its own: the unique constraint
``asset_once_per_item`` (item, asset_key, port, protocol) is an index that leads with the
item, so it serves every lookup by item, and the second index only cost each inserted asset
row one more index write (a 700,000-finding scan writes 285,000 of them).

The index is dropped by name rather than by AlterField: on SQLite, AlterField remakes the
table, which would drop the search index's trigger on it (migration 0010).
"""

from django.db import migrations, models
import django.db.models.deletion

INDEX = "tracker_affectedasset_item_id_276adbb9"  # Django's name for the ForeignKey's index


class Migration(migrations.Migration):

    dependencies = [("tracker", "0017_counted_history_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="affectedasset", name="item",
                    field=models.ForeignKey(db_index=False,
                                            on_delete=django.db.models.deletion.CASCADE,
                                            related_name="assets", to="tracker.poamitem"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    f"CREATE INDEX IF NOT EXISTS {INDEX} ON tracker_affectedasset (item_id)",
                ),
            ],
        ),
    ]
