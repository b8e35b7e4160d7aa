from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_auditentry")]

    operations = [
        migrations.AddField(model_name="user", name="banned_at", field=models.CharField(blank=True, max_length=32, null=True)),
        migrations.AddField(model_name="user", name="ban_reason", field=models.TextField(blank=True, default="", db_default="")),
        migrations.AddField(model_name="user", name="hidden", field=models.BooleanField(default=False, db_default=False)),
    ]
