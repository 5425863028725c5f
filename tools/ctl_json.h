/* etcfsctl's side of the gateway's JSON (ctl_json.c): parsing an answer,
 * reading its fields with the type checks every printer relies on, and
 * building requests. A present field of the wrong type exits with "Error:
 * invalid response from server (...)"; a missing one (or null) reads as
 * its zero value. */
#ifndef ETCFS_TOOLS_CTL_JSON_H
#define ETCFS_TOOLS_CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Parses text[0..len) (borrowed). Bare integers are accepted even beyond
 * int64 (quoted first, so they read as strings). Returns the object
 * (transferred: json_decref), or NULL if the text is not a JSON object. */
json_t *ctlJsonParse(const char *text, size_t len);

/* Field accessors; obj and the results are borrowed (valid while obj is). */
int64_t ctlJI64(const json_t *obj, const char *key);
uint64_t ctlJU64(const json_t *obj, const char *key);
bool ctlJBool(const json_t *obj, const char *key);
const char *ctlJStr(const json_t *obj, const char *key); /* "" if missing */
json_t *ctlJObj(const json_t *obj, const char *key);     /* NULL if missing */
json_t *ctlJArr(const json_t *obj, const char *key);     /* NULL if missing */
/* A base64 bytes field, decoded: transferred (NUL-terminated, *len bytes). */
char *ctlJBytes(const json_t *obj, const char *key, size_t *len);

/* A mvccpb.KeyValue, decoded. */
struct ctl_kv
{
    char *key; /* NUL-terminated, key_len bytes; owned by the struct */
    size_t key_len;
    char *value; /* likewise */
    size_t value_len;
    int64_t create_revision;
    int64_t mod_revision;
    int64_t version;
    int64_t lease;
};

/* Reads obj (borrowed; NULL: all empty) into kv; ctlKvFree frees it. */
void ctlKvParse(const json_t *obj, struct ctl_kv *kv);
void ctlKvFree(struct ctl_kv *kv);

/* Request builders; all exit on out of memory. New objects are transferred
 * to the caller; ctlJSet and ctlJAppend take v over (transferred), the
 * others copy key and value. Numbers go as strings, bytes as base64. */
json_t *ctlJNewObj(void);
json_t *ctlJNewArr(void);
void ctlJSet(json_t *obj, const char *key, json_t *v);
void ctlJAppend(json_t *arr, json_t *v);
void ctlJSetBytes(json_t *obj, const char *key, const char *data, size_t len);
void ctlJSetI64(json_t *obj, const char *key, int64_t v);
void ctlJSetU64(json_t *obj, const char *key, uint64_t v);
void ctlJSetBool(json_t *obj, const char *key, bool v);
/* s as it is (not checked for UTF-8: documents made for printing hold
 * endpoints as typed). */
void ctlJSetStr(json_t *obj, const char *key, const char *s);
/* Compact JSON text of obj (borrowed); transferred to the caller (free()). */
char *ctlJDump(const json_t *obj);

#endif /* ETCFS_TOOLS_CTL_JSON_H */
