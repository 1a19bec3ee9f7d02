from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class JurisdictionModelBackend(ModelBackend):
    """Django's backend, loading the user's region and unit with the user: every page's access
    checks read them, so this saves a query on each request."""

    def get_user(self, user_id):
        model = get_user_model()
        try:
            user = model._default_manager.select_related("region", "unit").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
