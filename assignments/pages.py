"""Extra sections for the village and cadre pages, contributed by apps above this one.

The pages live here, but what appraisal knows (inspections, grades, village results) must not be
imported here; an app above registers a function in its AppConfig.ready() instead. Each function takes
(request, obj) and returns a dict with a "template" and its context, or None.
"""

CADRE_SECTIONS = []
VILLAGE_SECTIONS = []


def render_sections(registry, request, obj):
    return [section for fn in registry if (section := fn(request, obj))]
