from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

# axes records the username typed in a 255-character column; ours are at most 150.
USERNAME_MAX_LENGTH = 255


class LoginForm(AuthenticationForm):
    """Django's login form, with the username's length checked before anyone authenticates.

    AuthenticationForm sets the field's max_length after the field is built, so no
    validator checks it: a 300-character username reached the lockout's records.
    """

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        limit = field.max_length or 150
        field.validators.append(
            MaxLengthValidator(limit, message=f"A username has at most {limit} characters: check what you typed.")
        )

