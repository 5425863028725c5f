/* etcfsctl output as data. What a command prints is a view: for each output
 * format (simple, json, fields, table) the list of fields that format shows,
 * in its order. One printer per format (ctl_print_simple.c, ctl_print_json.c,
 * ctl_print_fields.c, ctl_print_table.c) walks that list over a document:
 * the gateway's answer, or rows a command assembled itself (endpoint health
 * and status, snapshot status). ctlPrint picks the printer, writes what it
 * made to stdout (or stderr) in one go, and refuses a format the view lacks
 * as etcdctl does. Printers never touch the network; they exit only on a
 * malformed answer ("Error: invalid response from server (...)"). */
#ifndef ETCFS_TOOLS_CTL_VIEW_H
#define ETCFS_TOOLS_CTL_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ctl.h"
#include "ctl_util.h"

/* How a field's value is read and shown; each printer's file says which
 * kinds it shows and how. */
enum ctl_kind
{
    CTL_K_END,    /* ends a field list */
    CTL_K_TEXT,   /* no value: the label is literal text (simple, fields) */
    CTL_K_I64,    /* int64 */
    CTL_K_U64,    /* uint64 */
    CTL_K_BOOL,   /* true / false */
    CTL_K_STR,    /* a string */
    CTL_K_BYTES,  /* base64 bytes */
    CTL_K_HEX,    /* uint64 as %x (member ids) */
    CTL_K_HEX16,  /* uint64 as %16x (member and cluster ids in sentences) */
    CTL_K_LEASE,  /* int64 as etcdctl prints lease ids, %016x */
    CTL_K_SIZE,   /* a byte count as humanize.Bytes shows it */
    CTL_K_COUNT,  /* the number of elements of a list */
    CTL_K_ENUM,   /* a protobuf enum (its names in 'names'): simple and fields show the
                   * name, json the number */
    CTL_K_KV,     /* a mvccpb.KeyValue as etcdctl's printKV shows it (simple) */
    CTL_K_MSG,    /* an object, shown through the sub fields */
    CTL_K_MSGS,   /* a list of objects, each shown through the sub fields */
    CTL_K_STRS,   /* a list of strings */
    CTL_K_BYTESS, /* a list of base64 byte strings */
    CTL_K_ONEOF,  /* the first sub field (a message) present, else 'text' */
    CTL_K_CUSTOM  /* 'custom' writes it: a sentence or cell no list can say */
};

/* Field flags. */
#define CTL_F_ALWAYS 0x1u  /* json: printed even when zero or empty (no omitempty);
                            * simple, fields: a message printed even if absent */
#define CTL_F_NULL 0x2u    /* json list with CTL_F_ALWAYS: null when empty, not [] */
#define CTL_F_FLAT 0x4u    /* json message: its fields inline, as Go embeds a struct */
#define CTL_F_BARE 0x8u    /* fields: a string unquoted */
#define CTL_F_GOLIST 0x10u /* fields: a list of strings on one line, as Go's %v */
#define CTL_F_REQ 0x20u    /* the value is read from the request, not the answer */

struct ctl_print;

/* Writes what a CTL_K_CUSTOM field shows of obj. */
typedef void (*ctl_custom_fn)(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj);

/* One field as one format shows it. A field list is an array of them ended
 * by CTL_FIELDS_END. */
struct ctl_field
{
    /* json: the key printed; fields: the name (for a message, the prefix
     * of its fields' names); table: the column header; simple: the text
     * printed before the value */
    const char *label;
    /* where the value is in the current object: a key of the answer, or
     * "a.b" through nested objects; NULL: nowhere (a scalar is its zero
     * value, a message is the current object itself) */
    const char *from;
    enum ctl_kind kind;
    const struct ctl_field *sub; /* a message's fields; a one-of's alternatives */
    unsigned flags;
    /* a list shown on one line: its separator; a one-of with no alternative
     * present: what is printed instead */
    const char *text;
    ctl_custom_fn custom;
    /* an enum's names by number, NULL-terminated */
    const char *const *names;
};

#define CTL_FIELDS_END {.kind = CTL_K_END}

/* What a command prints, per format; NULL: "<format> not supported as
 * output format" (exit 4), as etcdctl's printers without the method. */
struct ctl_view
{
    const struct ctl_field *simple;
    const struct ctl_field *json;
    const struct ctl_field *fields;
    const struct ctl_field *table; /* the columns */
    /* the key of the list whose elements are the table's rows; NULL: the
     * document's elements when it is a list, else the document itself */
    const char *rows;
    unsigned flags;
};

/* View flags. */
#define CTL_VIEW_ROWS 0x1u   /* simple: the table's rows, cells joined by ", " */
#define CTL_VIEW_STDERR 0x2u /* simple goes to stderr (etcdctl's endpoint health) */
#define CTL_VIEW_ANY 0x4u    /* every -w value prints the simple text (compaction) */

/* What the printers read besides the current object. */
struct ctl_print
{
    const struct ctl_options *o; /* --hex, --print-value-only, --keys, ... */
    const json_t *req;           /* the request the answer is for; may be NULL */
};

/* "Error: <format> not supported as output format", exit 4. */
void ctlUnsupportedOutput(const struct ctl_options *o) __attribute__((noreturn));
/* Exits 4 with "unsupported output format" for an unknown -w value. */
void ctlCheckOutput(const struct ctl_options *o);

/* Prints doc (an object, or a list of row objects) as o->output says, for
 * the request req (may be NULL); all borrowed. Exits 4 if the view lacks
 * the format. */
void ctlPrint(const struct ctl_options *o, const struct ctl_view *v, const json_t *req,
              const json_t *doc);

/* ---- for the printers (ctl_view.c) ---- */

/* The number of fields of a list. */
size_t ctlViewCount(const struct ctl_field *fs);
/* The object holding f's value, reached from obj (the request, for
 * CTL_F_REQ) through the parts of f->from but the last (in *leaf); NULL
 * when an object on the way is absent. With no 'from', obj and NULL. */
const json_t *ctlViewParent(const struct ctl_print *p, const struct ctl_field *f,
                            const json_t *obj, const char **leaf);
/* The value at f (all borrowed from obj or the request). Absent: NULL or
 * the zero value; a present value of the wrong type exits 1. */
json_t *ctlViewObj(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj);
json_t *ctlViewArr(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj);
int64_t ctlViewI64(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj);
uint64_t ctlViewU64(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj);
bool ctlViewBool(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj);
const char *ctlViewStr(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj,
                       size_t *len);
/* Decoded bytes (transferred to the caller). */
char *ctlViewBytes(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj,
                   size_t *len);
/* An enum's number: the gateway sends the name (or the number, maybe
 * quoted) and leaves out the first (zero) value. An unknown name or a
 * number past the names exits with `field "<name>"`. */
size_t ctlViewEnum(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj);
/* The first alternative of a one-of present in the object at f (its value
 * in *value), or NULL. */
const struct ctl_field *ctlViewOneOf(const struct ctl_print *p, const struct ctl_field *f,
                                     const json_t *obj, json_t **value);
/* Element k of the list arr at f: an object (borrowed) for CTL_K_MSGS;
 * for CTL_K_STRS and CTL_K_BYTESS the string or the decoded bytes (*len of
 * them, transferred). Anything else exits with `field "<name>"`. */
json_t *ctlViewElem(const struct ctl_field *f, const json_t *arr, size_t k);
char *ctlViewListElem(const struct ctl_field *f, const json_t *arr, size_t k, size_t *len);
/* Exits 1 with "invalid response from server (field \"<name>\")". */
void ctlViewBad(const struct ctl_field *f) __attribute__((noreturn));
/* The rows of a table view in doc: their number, and in *rows an array of
 * them (transferred; the rows borrowed from doc). */
size_t ctlViewRows(const struct ctl_view *v, const json_t *doc, const json_t ***rows);

/* The printers: each appends doc as its format shows the field list. */
void ctlPrintSimple(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_field *fs,
                    const json_t *doc);
void ctlPrintJson(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_field *fs,
                  const json_t *doc);
void ctlPrintFields(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_field *fs,
                    const json_t *doc);
void ctlPrintTable(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_view *v,
                   const json_t *doc);
/* The simple output of a CTL_VIEW_ROWS view: the table's cells. */
void ctlPrintRows(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_view *v,
                  const json_t *doc);
/* One value as simple output and table cells show it: numbers, ids,
 * sizes, strings as they are, lists joined by f->text, CUSTOM. */
void ctlPrintValue(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_field *f,
                   const json_t *obj);

#endif /* ETCFS_TOOLS_CTL_VIEW_H */
