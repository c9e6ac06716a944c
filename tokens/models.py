import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from tokens.lengths import TOKEN_FLOOR, TOKEN_MAX_LENGTH, TOKEN_STRONG_LENGTH


def token_digest(raw_token):
    """HMAC-SHA256 of a token keyed with the pepper: all the database ever holds."""
    key = settings.LWP_TOKEN_PEPPER.encode()
    return hmac.new(key, raw_token.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def generate_token():
    return secrets.token_hex(24)


def is_valid_token_text(raw_token, *, min_length=TOKEN_FLOOR):
    """min_length to 128 printable ASCII characters without spaces. The default admits every token
    that may exist (imported short ones too); a new chosen token needs new_token_min_length()."""
    return (isinstance(raw_token, str)
            and min_length <= len(raw_token) <= TOKEN_MAX_LENGTH
            and all(33 <= ord(ch) <= 126 for ch in raw_token))


def new_token_min_length():
    """The shortest token a caller may choose (LWP_TOKEN_MIN_LENGTH, 16 unless lowered)."""
    return settings.LWP_TOKEN_MIN_LENGTH


def new_token_rule():
    """What a chosen token must be, as the API and createtoken say it."""
    return f"{new_token_min_length()} to {TOKEN_MAX_LENGTH} printable characters without spaces"


def is_weak_token(raw_token):
    return len(raw_token) < TOKEN_STRONG_LENGTH


WEAK_ADVICE = (f"A weak token is shorter than {TOKEN_STRONG_LENGTH} characters (imported from LXC-Web-Panel, "
               "or chosen short), so easier to guess. Replace it: create a new token, give it to the script, "
               "then revoke the weak one.")


class TokenQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires__isnull=True) | models.Q(expires__gt=now))


class Token(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    description = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    expires = models.DateTimeField(null=True, blank=True)
    read_only = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    weak = models.BooleanField(default=False, editable=False, help_text=WEAK_ADVICE)

    objects = TokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return self.description or f"token #{self.pk}"

    @classmethod
    def issue(cls, *, user, raw_token=None, description="", read_only=False, expires=None):
        """Store a new token (generated when raw_token is None); returns (token, raw_token)."""
        raw_token = raw_token or generate_token()
        token = cls.objects.create(user=user, digest=token_digest(raw_token), description=description,
                                   read_only=read_only, expires=expires, weak=is_weak_token(raw_token))
        return token, raw_token

    @classmethod
    def find(cls, raw_token):
        """The usable token with this secret, or None. Lookup by digest, then compared in constant time."""
        digest = token_digest(raw_token)
        token = cls.objects.usable().select_related("user").filter(digest=digest).first()
        if token is None or not hmac.compare_digest(token.digest, digest):
            return None
        return token

    @property
    def is_expired(self):
        return self.expires is not None and self.expires <= timezone.now()

    @property
    def is_active(self):
        return self.revoked_at is None and not self.is_expired

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
