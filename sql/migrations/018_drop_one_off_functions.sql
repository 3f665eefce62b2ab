-- normalize_tags_to_nfc folded the tags stored before the service normalized them to NFC
-- (migration 004, squashed into 017_baseline); it ran once and is called by nothing.
DROP FUNCTION IF EXISTS normalize_tags_to_nfc();
