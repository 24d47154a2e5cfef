-- Per-node BMC login: the user name and a reference to the password (file:/path or env:NAME), never the password.
-- Both empty means the fleet-wide fencing.bmc-username and fencing.bmc-password-file.
ALTER TABLE nodes ADD COLUMN bmc_username TEXT;
ALTER TABLE nodes ADD COLUMN bmc_password_ref TEXT;
