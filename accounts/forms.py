from django import forms
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm
from django.contrib.auth.password_validation import get_default_password_validators, password_validators_help_text_html

from accounts.authentication import RevokeDeviceTokensOnPasswordChange
from accounts.models import User


class SignupForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "display_name")
        help_texts = {"display_name": "Shown in the header; optional."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What a new password must be; not the token-revoking hook's line about changing one.
        checks = [v for v in get_default_password_validators() if not isinstance(v, RevokeDeviceTokensOnPasswordChange)]
        self.fields["password1"].help_text = password_validators_help_text_html(checks)

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail address already exists.")
        return email


class LoginForm(AuthenticationForm):
    username = forms.EmailField(label="E-mail address", widget=forms.EmailInput(attrs={"autofocus": True}))
