from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "fieldwork"
    verbose_name = _("The cadre's own records")

    def ready(self):
        # The grid (assignments, below fieldwork) shows the cadre's records through this provider.
        from . import traces

        traces.connect()
