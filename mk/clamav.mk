# ClamAV's clamd for the virus scanner (scripts/ensure-clamav.sh; README.md, "Virus scanning").

.PHONY: clamav clamav-start clamav-stop clamav-update

## clamav: Debian's clamav-daemon when clamd is missing (the scanner's tests start clamds of their own);
## without root or sudo the scanner's tests are skipped with the reason, except under CI=true
clamav:
	@bash scripts/ensure-clamav.sh install || [ "$$CI" != true ]

## clamav-start / clamav-stop: clamd on .cluster/clamav/clamd.sock with the shipped EICAR test signatures
clamav-start:
	@bash scripts/ensure-clamav.sh start

clamav-stop:
	@bash scripts/ensure-clamav.sh stop

## clamav-update: the official signatures through freshclam (needs the internet), then clamd reloads
clamav-update:
	@bash scripts/ensure-clamav.sh update

test: clamav
