# tests/faults/faults.mk: the fault suite, included by the GNUmakefile.
#
#   make faults [FAULTS_SCALE=N] [FAULTS_SEED=S]
#
# runs tests/faults/run.sh: every tests/faults/fault_*.sh, one after the
# other, each on its own throwaway PostgreSQL 15 cluster, breaking reckon,
# the server or the network under a random workload, and checking at the end
# that user_challenges equals the rules applied to the final data, that no
# completion was lost or duplicated and that the slot's confirmed position
# never went backward. FAULTS_SCALE multiplies the number of faults (20
# kills, 8 server restarts and 16 network cuts at scale 1, about 4 minutes
# on a 2-core machine); FAULTS_SEED replays a run's random choices (run.sh
# prints the seed; set on the command line or in the environment, make
# passes it on). Logs: build/faults/NAME.log and build/faults/NAME/.
#
# The proxy that cuts reckon's connections (tests/faults/proxy.c) is built
# with the project's own flags, CFLAGS_ALL, so it meets the same warnings
# and standard as the daemon.

FAULTS_SCALE ?= 1
FAULTS_BUILD = $(BUILD)/faults

.PHONY: faults

$(FAULTS_BUILD):
	mkdir -p $@

$(FAULTS_BUILD)/proxy: tests/faults/proxy.c | $(FAULTS_BUILD)
	$(CC) $(CFLAGS_ALL) -MMD -MP -o $@ $<

faults: bin/reckon bin/reckon-slot $(FAULTS_BUILD)/proxy
	FAULTS_SCALE=$(FAULTS_SCALE) tests/faults/run.sh

-include $(wildcard $(FAULTS_BUILD)/*.d)
