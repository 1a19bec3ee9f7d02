from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("assignments", "0005_sheet_rates_and_term_ends")]

    operations = [
        migrations.AddConstraint(
            model_name='attendancesheet',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('state', 'approved'), _negated=True), models.Q(('allowance_per_day__isnull', False), ('allowance_per_month__isnull', False)), _connector='OR'), name='attendance_sheet_approved_has_rates', violation_error_message='An approved sheet keeps the allowance rates it was approved at.'),
        ),
    ]
