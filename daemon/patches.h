/* patches.h -- recommendations as patches to the user's own files, checked
 * against the real configuration before they are shown (daemon/). */
#ifndef AN_PATCHES_H
#define AN_PATCHES_H

#include "analysis.h"
#include "recommend.h"

struct sources;

/* Patches the recommendations recs (rc_recommend's list) that change a
 * file of src (rc_rec's patches, made from its typed change), and removes
 * from recs those that fail the safety check:
 *
 *   - raise_for, keep_firing_for: per rule file that defines the alert, a
 *     unified diff setting the rules of that name (promrules.h);
 *   - repeat_interval, group_by, route_away_from_paging: a sub-route of the
 *     route that sends the alert to each receiver concerned today, first
 *     among its children, matching the alertname and carrying the change
 *     (ampatch.h); then every identity of a is routed through the old and
 *     the patched tree: a recommendation that would give or take a receiver
 *     from any identity it does not name is dropped;
 *   - inhibit_rule: the rule appended to inhibit_rules, on top of the ones
 *     kept before it; one that could mute its own source (mirror pairs,
 *     cycles, an equal label an alert lacks: am_inhibit_unsafe) is dropped.
 *
 * What was checked goes into the recommendation's safety (the JSON's
 * evidence.safety). Without the source a recommendation needs, it is left
 * as it is (its snippet only). Then a recommendation whose replay loses an
 * actionable episode never comes first. */
void patches_add(struct rc_list *recs, const struct sources *src,
    const struct analysis *a);

#endif
