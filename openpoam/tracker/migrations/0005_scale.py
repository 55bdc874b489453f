"""PoamItem.approver becomes a foreign key to Person: an approver is a known person of the
organization, never free text. Names that match a person of the item's organization
(case-insensitively) are kept; others are left empty (the history keeps the old text)."""

import django.db.models.deletion
from django.db import migrations, models


def copy_approvers(apps, schema_editor):
    PoamItem = apps.get_model("tracker", "PoamItem")
    Person = apps.get_model("tracker", "Person")
    for item in PoamItem.objects.exclude(approver_text="").iterator():
        person = Person.objects.filter(organization_id=item.organization_id,
                                       name__iexact=item.approver_text.strip()).first()
        if person is not None:
            PoamItem.objects.filter(pk=item.pk).update(approver=person)


class Migration(migrations.Migration):

    dependencies = [
        ("tracker", "0004_cr26"),
    ]

    operations = [
        migrations.RenameField("poamitem", "approver", "approver_text"),
        migrations.AddField(
            model_name="poamitem",
            name="approver",
            field=models.ForeignKey(blank=True, null=True,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="approvals", to="tracker.person"),
        ),
        migrations.RunPython(copy_approvers, migrations.RunPython.noop),
        migrations.RemoveField("poamitem", "approver_text"),
    ]
