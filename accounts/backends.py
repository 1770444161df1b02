from django.contrib.auth.backends import ModelBackend

from .models import User


class UserWithOrganisationBackend(ModelBackend):
    """The logged-in user comes with their organisation: every page's scope check needs it."""

    def get_user(self, user_id):
        user = User._default_manager.select_related("organisation").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
