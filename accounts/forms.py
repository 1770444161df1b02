import hashlib

from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.template import loader

from common.enums import OutboxChannel
from common.outbox import outbox_add

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


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, but the e-mail goes through the outbox.

    The request only writes a row; a worker sends it after the response. So the answer
    takes as long whether the address belongs to someone or not, and whether the mail
    server is quick, slow or down.
    """

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        html_body = loader.render_to_string(html_email_template_name, context) if html_email_template_name else ""
        user = context["user"]
        # One message per issued link: asking twice within the same second gives one e-mail.
        token_digest = hashlib.sha256(context["token"].encode()).hexdigest()[:24]
        with transaction.atomic():
            outbox_add(channel=OutboxChannel.EMAIL, recipient=to_email, subject=subject, body=body,
                       html_body=html_body, key=f"password-reset-{user.pk}-{token_digest}", about=user)
