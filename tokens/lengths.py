"""How long a token may be. No Django imports: lwp/settings.py bounds LWP_TOKEN_MIN_LENGTH with these."""

# No token is ever shorter: the lowest LWP_TOKEN_MIN_LENGTH, and the shortest token `importlwp`
# takes (LXC-Web-Panel's token page made 4 to 7 characters; fewer is a guess away).
TOKEN_FLOOR = 4
# Shorter than this a token is weak: it works, and the tokens page and the admin ask to replace it.
TOKEN_STRONG_LENGTH = 16
TOKEN_MAX_LENGTH = 128
