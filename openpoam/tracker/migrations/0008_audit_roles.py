"""The chain heads may only move forward (PostgreSQL).

A runtime role (``openpoam setup --runtime-role``) may advance its chain's head, so it holds
UPDATE on ``sequence`` and ``hash``; this trigger, owned by the owner role, refuses a head
that goes back or changes its hash in place, and any DELETE. Not owning the table, the
runtime role cannot disable it. TRUNCATE (a test database's flush) is no row event.
"""

from django.db import migrations

FORWARD_ONLY_SQL = """
CREATE OR REPLACE FUNCTION tracker_chainhead_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit chain heads cannot be deleted';
    END IF;
    IF NEW.key <> OLD.key OR NEW.sequence < OLD.sequence
       OR (NEW.sequence = OLD.sequence AND NEW.hash <> OLD.hash) THEN
        RAISE EXCEPTION 'audit chain head % may only move forward (#% to #% refused)',
            OLD.key, OLD.sequence, NEW.sequence;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS tracker_chainhead_forward_only ON tracker_chainhead;
CREATE TRIGGER tracker_chainhead_forward_only BEFORE UPDATE OR DELETE ON tracker_chainhead
    FOR EACH ROW EXECUTE FUNCTION tracker_chainhead_forward_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS tracker_chainhead_forward_only ON tracker_chainhead;
DROP FUNCTION IF EXISTS tracker_chainhead_forward_only();
"""


def trigger_on(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD_ONLY_SQL, params=None)


def trigger_off(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):

    dependencies = [("tracker", "0007_cr26_n0_class_changes")]

    operations = [migrations.RunPython(trigger_on, trigger_off)]
