-- Each organisation may bring its own OIDC tenant for its employees
-- (issue 15); empty signin_issuer keeps the instance's. The client secret is
-- never stored, only the path of a file that holds it.
ALTER TABLE organisations ADD COLUMN signin_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN signin_client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN signin_audience TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN signin_client_secret_file TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN signin_console_group TEXT NOT NULL DEFAULT '';
