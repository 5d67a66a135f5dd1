/* identity.c: the identity map: one state per (mapper, primary key) in a
 * session, found by the state's identity key.  The map does not own its
 * states: clean ones are referenced only by the objects the binding hands
 * out, and a state leaves the map when its last reference goes
 * (orm_session_forget), which is what makes the map weak.  States the
 * session must keep (modified, deleted) are held in session.c.
 *
 * A hash set of states with open addressing and backward-shift deletion,
 * keyed by the key string each state owns (not copied: a state's key does
 * not change while it is in the map), so that loading many rows costs no
 * allocation here beyond growing the table. */
#include "orm_int.h"

#include <stdint.h>
#include <string.h>

typedef struct slot {
    rt_state *st;    /* NULL: empty */
    size_t hash;     /* of st->key */
} slot;

struct orm_identity {
    slot *slots;
    size_t cap;      /* power of two, or 0 */
    size_t count;
};

/* Eight bytes at a time (a key is ~20 bytes, and one is hashed per
 * loaded row), each word mixed by a multiply and a shift, the whole
 * finished so that every bit of the key reaches the low bits. */
static size_t hash_len(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    h ^= w;
    h ^= h >> 33;            /* the finisher of MurmurHash3 */
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return (size_t)(h ^ (h >> 33));
}

static size_t hash_key(const char *s) { return hash_len(s, strlen(s)); }

size_t orm_identity_hash(const char *key, size_t len) { return hash_len(key, len); }

orm_identity *orm_identity_new(void)
{
    return rt_calloc(1, sizeof(orm_identity));
}

void orm_identity_free(orm_identity *im)
{
    if (!im)
        return;
    rt_free(im->slots);
    rt_free(im);
}

static slot *find(const orm_identity *im, const char *key, size_t h)
{
    if (!im->cap)
        return NULL;
    for (size_t i = h & (im->cap - 1);; i = (i + 1) & (im->cap - 1)) {
        slot *s = &im->slots[i];
        if (!s->st)
            return NULL;
        if (s->hash == h && strcmp(s->st->key, key) == 0)
            return s;
    }
}

rt_state *orm_identity_get(const orm_identity *im, const char *key)
{
    slot *s = key ? find(im, key, hash_key(key)) : NULL;
    return s ? s->st : NULL;
}


static void place(slot *slots, size_t cap, slot item)
{
    size_t i = item.hash & (cap - 1);
    while (slots[i].st)
        i = (i + 1) & (cap - 1);
    slots[i] = item;
}

static int resize(orm_identity *im, size_t cap)
{
    slot *ns = rt_calloc(cap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < im->cap; i++)
        if (im->slots[i].st)
            place(ns, cap, im->slots[i]);
    rt_free(im->slots);
    im->slots = ns;
    im->cap = cap;
    return 0;
}

int orm_identity_lookup(orm_identity *im, const char *key, size_t h, rt_state **out,
                        size_t *spot)
{
    if ((im->count + 1) * 4 > im->cap * 3 && resize(im, im->cap ? im->cap * 2 : 16) < 0)
        return -1;
    size_t mask = im->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        slot *s = &im->slots[i];
        if (!s->st) {
            *out = NULL;
            *spot = i;
            return 0;
        }
        if (s->hash == h && strcmp(s->st->key, key) == 0) {
            *out = s->st;
            return 0;
        }
    }
}

void orm_identity_put(orm_identity *im, size_t spot, rt_state *st, size_t h)
{
    im->slots[spot] = (slot){st, h};
    im->count++;
    st->key_hash = (unsigned)h;
}

int orm_identity_add(orm_identity *im, rt_state *st, rt_error *err)
{
    if (!st->key)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST, "instance has no identity key");
    size_t h = hash_key(st->key), spot;
    rt_state *found;
    if (orm_identity_lookup(im, st->key, h, &found, &spot) < 0)
        return rt_error_oom(err);
    if (found) {
        if (found != st)
            return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                                "Can't attach instance; another instance with key %s is "
                                "already present in this session", st->key);
        return 0;
    }
    orm_identity_put(im, spot, st, h);
    return 0;
}

void orm_identity_clear(orm_identity *im)
{
    rt_free(im->slots);      /* cheaper than zeroing, and an empty map keeps nothing */
    im->slots = NULL;
    im->cap = im->count = 0;
}

void orm_identity_remove(orm_identity *im, rt_state *st)
{
    if (!im->count)
        return;
    if (!st->key)
        return;
    /* the state itself is looked for from where its hash put it (cap is a
     * power of two, far below 2^32): no hashing, no key comparison */
    size_t mask = im->cap - 1;
    slot *s;
    for (size_t i = st->key_hash & mask;; i = (i + 1) & mask) {
        s = &im->slots[i];
        if (!s->st)
            return;
        if (s->st == st)
            break;
    }
    s->st = NULL;
    im->count--;
    /* backward-shift the cluster that follows */
    size_t i = (size_t)(s - im->slots);
    for (size_t j = (i + 1) & (im->cap - 1); im->slots[j].st; j = (j + 1) & (im->cap - 1)) {
        slot item = im->slots[j];
        im->slots[j].st = NULL;
        place(im->slots, im->cap, item);
    }
}

size_t orm_identity_count(const orm_identity *im) { return im->count; }

void orm_identity_each(const orm_identity *im, void (*fn)(rt_state *st, void *arg), void *arg)
{
    for (size_t i = 0, k = 0; i < im->cap && k < im->count; i++)
        if (im->slots[i].st) {
            fn(im->slots[i].st, arg);
            k++;
        }
}

int orm_identity_all(const orm_identity *im, rt_state ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!im->count)
        return 0;
    rt_state **arr = rt_calloc(im->count, sizeof *arr);
    if (!arr)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < im->cap && k < im->count; i++)
        if (im->slots[i].st)
            arr[k++] = im->slots[i].st;
    *out = arr;
    *n = k;
    return 0;
}
