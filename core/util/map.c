/* map.c: a string-keyed hash map with open addressing and linear probing.
 *
 * Keys are copied; values are opaque pointers released through the destructor
 * given at creation.  Deletion uses backward-shift, so there are no tombstones. */
#include "rt_util.h"

#include <string.h>

typedef struct slot {
    char *key;       /* NULL: empty */
    size_t hash;
    void *value;
} slot;

struct rt_map {
    slot *slots;
    size_t cap;      /* power of two, or 0 */
    size_t count;
    rt_map_free_fn free_value;
};

/* Eight bytes at a time (keys include SQL text and statement shapes, hashed
 * on every execution), then mixed so that the low bits vary. */
static size_t hash_str(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    for (; n >= 8; n -= 8, s += 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0x94D049BB133111EBull;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return (size_t)h;
}

rt_map *rt_map_new(rt_map_free_fn free_value)
{
    rt_map *m = rt_calloc(1, sizeof *m);
    if (m)
        m->free_value = free_value;
    return m;
}

void rt_map_clear(rt_map *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key) {
            rt_free(m->slots[i].key);
            if (m->free_value)
                m->free_value(m->slots[i].value);
            m->slots[i].key = NULL;
        }
    }
    m->count = 0;
}

void rt_map_free(rt_map *m)
{
    if (!m)
        return;
    rt_map_clear(m);
    rt_free(m->slots);
    rt_free(m);
}

static slot *find(const rt_map *m, const char *key, size_t h)
{
    if (!m->cap)
        return NULL;
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->hash == h && strcmp(s->key, key) == 0)
            return s;
    }
}

void *rt_map_get(const rt_map *m, const char *key)
{
    slot *s = find(m, key, hash_str(key));
    return s ? s->value : NULL;
}

static void place(slot *slots, size_t cap, slot item)
{
    size_t i = item.hash & (cap - 1);
    while (slots[i].key)
        i = (i + 1) & (cap - 1);
    slots[i] = item;
}

static int resize(rt_map *m, size_t cap)
{
    slot *ns = rt_calloc(cap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            place(ns, cap, m->slots[i]);
    rt_free(m->slots);
    m->slots = ns;
    m->cap = cap;
    return 0;
}

int rt_map_set(rt_map *m, const char *key, void *value)
{
    size_t h = hash_str(key);
    slot *s = find(m, key, h);
    if (s) {
        if (m->free_value && s->value != value)
            m->free_value(s->value);
        s->value = value;
        return 0;
    }
    if ((m->count + 1) * 4 > m->cap * 3 && resize(m, m->cap ? m->cap * 2 : 16) < 0)
        return -1;
    char *k = rt_strdup(key);
    if (!k)
        return -1;
    place(m->slots, m->cap, (slot){k, h, value});
    m->count++;
    return 0;
}

int rt_map_remove(rt_map *m, const char *key)
{
    slot *s = find(m, key, hash_str(key));
    if (!s)
        return 0;
    rt_free(s->key);
    if (m->free_value)
        m->free_value(s->value);
    s->key = NULL;
    m->count--;
    /* backward-shift the cluster that follows */
    size_t i = (size_t)(s - m->slots);
    for (size_t j = (i + 1) & (m->cap - 1); m->slots[j].key; j = (j + 1) & (m->cap - 1)) {
        slot item = m->slots[j];
        m->slots[j].key = NULL;
        place(m->slots, m->cap, item);
    }
    return 1;
}

size_t rt_map_count(const rt_map *m) { return m->count; }

int rt_map_next(const rt_map *m, size_t *pos, const char **key, void **value)
{
    while (*pos < m->cap) {
        slot *s = &m->slots[(*pos)++];
        if (s->key) {
            if (key)
                *key = s->key;
            if (value)
                *value = s->value;
            return 1;
        }
    }
    return 0;
}
