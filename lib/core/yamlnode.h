/* yamlnode.h -- what every reader of a libyaml document tree asks of a
 * node: its line, its kind in words, and whether it is YAML's null. Shared
 * by the readers of alertnoised.yml (config.c), alertmanager.yml
 * (amroute.c, ampatch.c) and Prometheus rule files (promrules.c). */
#ifndef AN_YAMLNODE_H
#define AN_YAMLNODE_H

#include <yaml.h>

/* The 1-based line the node starts on. */
unsigned long yn_line(const yaml_node_t *n);

/* "a scalar", "a sequence", "a mapping" or "nothing": for messages such
 * as "expected a mapping, got a scalar". */
const char *yn_kind(const yaml_node_t *n);

/* Whether n is null as both yaml.v2 and yaml.v3 resolve it: an empty
 * plain scalar, "~", "null", "Null" or "NULL" written plainly, or any
 * scalar tagged !!null. */
int yn_is_null(const yaml_node_t *n);

#endif
