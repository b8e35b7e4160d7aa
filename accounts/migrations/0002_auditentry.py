from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                ("id", models.CharField(max_length=41, primary_key=True, serialize=False)),
                ("actor_id", models.CharField(max_length=16)),
                ("action", models.CharField(max_length=32)),
                ("target_type", models.CharField(max_length=16)),
                ("target_id", models.CharField(max_length=32)),
                ("reason", models.TextField(blank=True, default="")),
            ],
            options={"db_table": "accounts_audit"},
        ),
    ]
