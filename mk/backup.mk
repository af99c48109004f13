# Backups of the default installation (SQLite and files on disk): README, "Backup and restore".

.PHONY: backup restore

BACKUP_DIR ?= backups

## backup: a dated archive of the app's and the service's databases and files in BACKUP_DIR, while the app runs
backup: install
	$(PY) -m dashboard.backup backup --to $(BACKUP_DIR)

## restore: ARCHIVE=backups/profile-studio-….tar.gz put back (the app stopped; FORCE=1 moves existing data aside)
restore: install
	@test -n "$(ARCHIVE)" || { echo "usage: make restore ARCHIVE=$(BACKUP_DIR)/profile-studio-YYYYMMDDTHHMMSSZ.tar.gz [FORCE=1]"; exit 2; }
	$(PY) -m dashboard.backup restore $(ARCHIVE) $(if $(FORCE),--force)
