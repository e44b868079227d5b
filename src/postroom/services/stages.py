"""The pipeline's names in one place: outbox actors (what a message asks for) and stage_runs
keys (what has run for a subject). Any module may import these without importing another
stage's module, so the stages never import each other."""

from __future__ import annotations

# Outbox actors, one per Dramatiq actor (worker/actors.py).
PREFLIGHT_DOCUMENT = "preflight_document"
CHECK_PIECE = "check_piece"
COMPOSE_LOT = "compose_lot"
HAND_OFF_PIECE = "hand_off_piece"
SEND_EMAIL = "send_email"
SEND_SMS = "send_sms"  # hands a text message's queued recipients to the SMS gateway
ISSUE_PROOF = "issue_proof"  # makes a shipment's proof
FOLD_EVENTS = "fold_events"  # folds a queued batch of carrier events
SHARE_RANGES = "share_ranges"  # takes part in reading a large file's page ranges

# stage_runs keys: (subject id, key) is recorded once the stage has run for the subject.
STAGE_PREFLIGHT = "preflight"
STAGE_CHECK = "check"
STAGE_COMPOSE = "compose"
STAGE_HAND_OFF = "hand_off"
STAGE_SEND_EMAIL = "send_email"
STAGE_SEND_SMS = "send_sms"
