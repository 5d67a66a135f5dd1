/* identity.c: the identity map: one state per (mapper, primary key) in a
 * session, found by the state's identity key.  The map does not own its
 * states: clean ones are referenced only by the objects the binding hands
 * out, and a state leaves the map when its last reference goes
 * (orm_session_forget), which is what makes the map weak.  States the
 * session must keep (modified, deleted) are held in session.c. */
#include "orm_int.h"

struct orm_identity {
    rt_map *map;   /* identity key -> rt_state * (not owned) */
};

orm_identity *orm_identity_new(void)
{
    orm_identity *im = rt_calloc(1, sizeof *im);
    if (im && !(im->map = rt_map_new(NULL))) {
        rt_free(im);
        return NULL;
    }
    return im;
}

void orm_identity_free(orm_identity *im)
{
    if (!im)
        return;
    rt_map_free(im->map);
    rt_free(im);
}

rt_state *orm_identity_get(const orm_identity *im, const char *key)
{
    return key ? rt_map_get(im->map, key) : NULL;
}

int orm_identity_add(orm_identity *im, rt_state *st, rt_error *err)
{
    if (!st->key)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST, "instance has no identity key");
    rt_state *other = rt_map_get(im->map, st->key);
    if (other && other != st)
        return rt_error_set(err, RT_ERR_INVALID_REQUEST,
                            "Can't attach instance; another instance with key %s is already "
                            "present in this session", st->key);
    return rt_map_set(im->map, st->key, st) < 0 ? rt_error_oom(err) : 0;
}

void orm_identity_remove(orm_identity *im, rt_state *st)
{
    if (st->key && rt_map_get(im->map, st->key) == st)
        rt_map_remove(im->map, st->key);
}

size_t orm_identity_count(const orm_identity *im) { return rt_map_count(im->map); }

int orm_identity_all(const orm_identity *im, rt_state ***out, size_t *n)
{
    size_t count = rt_map_count(im->map), pos = 0, i = 0;
    const char *key;
    void *value;
    *out = NULL;
    *n = 0;
    if (!count)
        return 0;
    rt_state **arr = rt_calloc(count, sizeof *arr);
    if (!arr)
        return -1;
    while (rt_map_next(im->map, &pos, &key, &value) && i < count)
        arr[i++] = value;
    *out = arr;
    *n = i;
    return 0;
}
