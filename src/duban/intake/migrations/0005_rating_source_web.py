"""Data: every rating given before phone callbacks existed came from the tracking page (the
only way to rate then), so it is marked 网上评价. Reversible: the mark is cleared."""

from django.db import migrations


def mark_web(apps, schema_editor):
    Suggestion = apps.get_model("intake", "Suggestion")
    Suggestion.objects.exclude(rating="").filter(rating_source="").update(rating_source="web")


def unmark(apps, schema_editor):
    Suggestion = apps.get_model("intake", "Suggestion")
    Suggestion.objects.filter(rating_source="web").update(rating_source="")


class Migration(migrations.Migration):
    dependencies = [("intake", "0004_clue_states_callbacks")]

    operations = [migrations.RunPython(mark_web, unmark)]
