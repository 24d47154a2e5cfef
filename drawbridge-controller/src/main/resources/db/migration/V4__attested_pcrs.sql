-- The PCR values a quote proved (signature, nonce and digest good) even when they differed from the
-- reference: an operator can accept them as the new baseline after a planned update.
ALTER TABLE attestations ADD COLUMN pcrs TEXT;
