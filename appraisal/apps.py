from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    name = "appraisal"
    verbose_name = _("Appraisal")

    def ready(self):
        from assignments import pages

        from . import sections

        pages.CADRE_SECTIONS.append(sections.cadre_section)
        pages.VILLAGE_SECTIONS.append(sections.village_section)
