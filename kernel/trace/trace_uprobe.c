// SPDX-License-Identifier: GPL-2.0-only
/*
 * uprobe-based dynamic trace events: the ftrace and perf frontend of uprobes.
 *
 * Users define events by writing
 *	p[:[GRP/|GRP.][EVENT]] PATH:OFFSET[%return][(REF_CTR_OFFSET)] [FETCHARGS]
 * (or r:..., or -:[GRP/]EVENT to delete) to tracefs "uprobe_events" or
 * "dynamic_events". Each definition is a struct trace_uprobe: a path
 * reference, a file offset, the parsed fetch arguments and one
 * uprobe_consumer. Definitions sharing GRP/EVENT are siblings on one
 * trace_probe_event and produce records of one trace_event_call.
 *
 * Nothing is planted at definition time. The consumer is registered with the
 * uprobes core when the event is first enabled (by ftrace, perf or a local
 * perf "uprobe" PMU event) and unregistered when the last user goes away.
 * Ftrace wants every process that maps the file; perf wants only the tasks
 * its events are bound to, which the per-event trace_uprobe_filter records
 * and the consumer's filter callback reports to the core.
 *
 * Locking and lifetime:
 * - Definitions are created, appended, enabled, disabled and freed under
 *   event_mutex (dyn_event_ops_mutex is held as well while parsing, which the
 *   error log requires). The per-CPU scratch buffers are allocated and freed
 *   under event_mutex too, while at least one event is enabled.
 * - Handlers run in the probed task, on its way back to user space, and may
 *   fault and sleep. They read the trace_uprobe and its trace_probe without locks: a
 *   trace_uprobe is freed only after uprobe_unregister_sync() has waited for
 *   every handler that could still see its consumer.
 * - trace_uprobe_filter is protected by its rwlock; perf events are linked
 *   through their hw.tp_list while they are open.
 * - One hit fetches its arguments once into a per-CPU scratch buffer, then
 *   copies the record into the ftrace ring buffer and/or the perf buffer.
 *   The fetch runs with preemption and page faults disabled, which makes the
 *   buffer the hit's own without a lock; only if an argument lies in a page
 *   that is not present does the hit fetch again, preemptible, into a
 *   second buffer guarded by a per-CPU mutex. Nothing is allocated per hit.
 */
#define pr_fmt(fmt)	"trace_uprobe: " fmt

#include <linux/bpf.h>
#include <linux/ctype.h>
#include <linux/filter.h>
#include <linux/namei.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/rcupdate_trace.h>
#include <linux/security.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uprobes.h>

#include "trace_dynevent.h"
#include "trace_probe.h"
#include "trace_probe_tmpl.h"

#define TRACE_UPROBE_GROUP	"uprobes"

/*
 * Largest record one hit may produce (header, fixed-size arguments and
 * strings). It keeps a record within one 4K ring-buffer page and well below
 * PERF_MAX_TRACE_SIZE; strings are truncated to fit.
 */
#define UPROBE_RECORD_MAX	(SZ_4K - 256)

/*
 * Every record starts with the common trace_entry and one address (the
 * probed ip) or two (the function and the address it returns to).
 */
struct trace_uprobe_rec {
	struct trace_entry	ent;
	unsigned long		addr[];
};

static inline int trace_uprobe_head_size(bool is_return)
{
	return sizeof(struct trace_uprobe_rec) +
	       (is_return ? 2 : 1) * sizeof(unsigned long);
}

/* Defined with the dynamic_events entry points, near the end */
static struct dyn_event_operations trace_uprobe_ops;

/**
 * struct trace_uprobe - one probe point of a uprobe event
 * @devent:	entry on the dynamic_events list
 * @foffset:	where in the probed file the probe sits
 * @fpath:	reference to the probed file, held for the definition's life
 * @refctr:	file offset of the USDT semaphore to bump, 0 if none
 * @user_path:	the file path as written by the user; shown back verbatim
 * @consumer:	our callbacks, handed to the uprobes core
 * @hits:	per-CPU count of breakpoint hits, for uprobe_profile
 * @handle:	what uprobe_register() returned; NULL while not planted
 * @tp:		the event, fetch arguments and record layout (must be last,
 *		its argument array is sized at allocation time)
 */
struct trace_uprobe {
	struct dyn_event		devent;
	unsigned long			foffset;
	struct path			fpath;
	unsigned long			refctr;
	char				*user_path;
	struct uprobe_consumer		consumer;
	unsigned long __percpu		*hits;
	struct uprobe			*handle;
	struct trace_probe		tp;
};

static bool is_trace_uprobe(struct dyn_event *ev)
{
	return ev->ops == &trace_uprobe_ops;
}

static struct trace_uprobe *to_trace_uprobe(struct dyn_event *ev)
{
	return container_of(ev, struct trace_uprobe, devent);
}

static inline bool trace_uprobe_is_return(struct trace_uprobe *tu)
{
	return !!tu->consumer.ret_handler;
}

static inline struct trace_uprobe_filter *
trace_uprobe_get_filter(struct trace_uprobe *tu)
{
	return tu->tp.event->filter;
}

/* The first definition of the event behind @call */
static struct trace_uprobe *trace_uprobe_primary(struct trace_event_call *call)
{
	struct trace_probe *first = trace_probe_primary_from_call(call);

	return WARN_ON_ONCE(!first) ? NULL :
	       container_of(first, struct trace_uprobe, tp);
}

/*
 * The place as uprobe_events shows it, "PATH:0x<16 digits>[(0xREF)]"
 * (libtracefs parses the zero-padded offset). kmalloc()ed; NULL on ENOMEM.
 */
static char *trace_uprobe_place_str(struct trace_uprobe *tu)
{
	if (!tu->refctr)
		return kasprintf(GFP_KERNEL, "%s:0x%016lx", tu->user_path,
				 tu->foffset);
	return kasprintf(GFP_KERNEL, "%s:0x%016lx(0x%lx)", tu->user_path,
			 tu->foffset, tu->refctr);
}

/*
 * dyn_event ->match. An empty @event names every event of @system (or of
 * every group). "-:EVENT PATH:OFFSET args..." deletes only where the rest
 * is what uprobe_events shows, so a line read back can be used to delete.
 */
static bool trace_uprobe_match(const char *system, const char *event,
			       int argc, const char **argv,
			       struct dyn_event *ev)
{
	struct trace_uprobe *tu = to_trace_uprobe(ev);
	char *place;
	bool same;

	if (event[0] && strcmp(event, trace_probe_name(&tu->tp)))
		return false;
	if (system && strcmp(system, trace_probe_group_name(&tu->tp)))
		return false;
	if (argc < 1)
		return true;

	place = trace_uprobe_place_str(tu);
	same = place && !strcmp(place, argv[0]);
	kfree(place);

	return same && trace_probe_match_command_args(&tu->tp, --argc, ++argv);
}

/*
 * Per-CPU scratch buffers for fetching arguments. A hit first fetches with
 * preemption and page faults disabled into @fast, which is then its own
 * without a lock: nothing else runs on the CPU until it is done. Arguments
 * almost always live in present pages; if a read would have to fault one
 * in, the hit fetches again, preemptible, into @buf, which is guarded by a
 * mutex rather than by staying on the CPU. That mutex is contended only by
 * a task that migrated while it faulted, and its cache line stays with its
 * CPU.
 */
struct uprobe_scratch {
	void		*fast;	/* used with preemption disabled */
	struct mutex	lock;	/* held while @buf is in use */
	void		*buf;
};

/* Set when a fetch into @fast failed because page faults were disabled */
static DEFINE_PER_CPU(bool, uprobe_fetch_nofault);

static struct uprobe_scratch __percpu *uprobe_scratch;
/* Number of enabled events; protected by event_mutex */
static int uprobe_scratch_users;

static void uprobe_scratch_free(struct uprobe_scratch __percpu *scratch)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct uprobe_scratch *s = per_cpu_ptr(scratch, cpu);

		mutex_destroy(&s->lock);
		kfree(s->buf);
		kfree(s->fast);
	}
	free_percpu(scratch);
}

static int uprobe_scratch_hold(void)
{
	struct uprobe_scratch __percpu *scratch;
	int cpu;

	lockdep_assert_held(&event_mutex);

	if (uprobe_scratch_users) {
		uprobe_scratch_users++;
		return 0;
	}

	scratch = alloc_percpu(struct uprobe_scratch);
	if (!scratch)
		return -ENOMEM;

	for_each_possible_cpu(cpu) {
		struct uprobe_scratch *s = per_cpu_ptr(scratch, cpu);

		mutex_init(&s->lock);
		s->buf = kmalloc_node(UPROBE_RECORD_MAX, GFP_KERNEL,
				      cpu_to_node(cpu));
		s->fast = kmalloc_node(UPROBE_RECORD_MAX, GFP_KERNEL,
				       cpu_to_node(cpu));
		if (!s->buf || !s->fast) {
			uprobe_scratch_free(scratch);
			return -ENOMEM;
		}
	}

	/* Handlers see it only after a consumer is registered below us */
	uprobe_scratch = scratch;
	uprobe_scratch_users = 1;
	return 0;
}

/* Callers must have waited for handlers with uprobe_unregister_sync() */
static void uprobe_scratch_release(void)
{
	lockdep_assert_held(&event_mutex);

	if (WARN_ON_ONCE(!uprobe_scratch_users) || --uprobe_scratch_users)
		return;

	uprobe_scratch_free(uprobe_scratch);
	uprobe_scratch = NULL;
}

/*
 * Fetch helpers required by trace_probe_tmpl.h. A uprobe can only look at
 * the probed task's user memory, so every address that reaches them is a
 * user address. They run in that task, first with page faults disabled
 * and, if a read failed only for that reason, again preemptible, faulting
 * pages in.
 */

/* A user read failed: tell the first, non-faulting attempt to try again */
static nokprobe_inline void fetch_failed(void)
{
	if (pagefault_disabled())
		__this_cpu_write(uprobe_fetch_nofault, true);
}

/* Return the length of the string including the NUL, or 0 on a fault */
static nokprobe_inline int fetch_store_strlen_user(unsigned long addr)
{
	long len = strnlen_user((const char __user *)addr, MAX_STRING_SIZE);

	if (len <= 0)
		fetch_failed();
	return min_t(long, len, MAX_STRING_SIZE);
}

static nokprobe_inline int fetch_store_strlen(unsigned long addr)
{
	return fetch_store_strlen_user(addr);
}

/*
 * Copy a NUL-terminated user string into the dynamic area. *dest holds the
 * room left and the area's offset; it is updated to the stored length.
 */
static nokprobe_inline int
fetch_store_string_user(unsigned long addr, void *dest, void *base)
{
	int maxlen = get_loc_len(*(u32 *)dest);
	u8 *dst = get_loc_data(dest, base);
	long ret;

	if (unlikely(!maxlen))
		return -ENOMEM;

	ret = strncpy_from_user(dst, (const char __user *)addr, maxlen);
	if (ret < 0)
		fetch_failed();
	if (ret >= maxlen) {
		dst[maxlen - 1] = '\0';
		ret = maxlen;
	} else if (ret >= 0) {
		ret++;
	}
	*(u32 *)dest = make_data_loc(ret < 0 ? 0 : ret, (void *)dst - base);

	return ret;
}

static nokprobe_inline int
fetch_store_string(unsigned long addr, void *dest, void *base)
{
	return fetch_store_string_user(addr, dest, base);
}

static nokprobe_inline int
probe_mem_read_user(void *dest, void *src, size_t size)
{
	if (!copy_from_user(dest, (__force const void __user *)src, size))
		return 0;
	fetch_failed();
	return -EFAULT;
}

static nokprobe_inline int probe_mem_read(void *dest, void *src, size_t size)
{
	return probe_mem_read_user(dest, src, size);
}

/*
 * $comm and immediate strings point into the kernel, not into the probed
 * task; they are the only kernel memory a uprobe event reads. Their store
 * instruction is always the ST_STRING that follows.
 */
static int fetch_kernel_string(const char *src, struct fetch_insn *code,
			       void *dest, void *base)
{
	int maxlen, len;
	char *dst;

	if (code->op != FETCH_OP_ST_STRING || code[1].op != FETCH_OP_END)
		return -EILSEQ;

	if (!dest)
		return strlen(src) + 1;

	maxlen = get_loc_len(*(u32 *)dest);
	if (unlikely(!maxlen))
		return -ENOMEM;

	dst = get_loc_data(dest, base);
	len = strscpy(dst, src, maxlen);
	len = len < 0 ? maxlen : len + 1;
	*(u32 *)dest = make_data_loc(len, (void *)dst - base);

	return len;
}

/* Nth word on the user stack, as $stackN */
static unsigned long user_stack_word(struct pt_regs *regs, unsigned int n)
{
	unsigned long __user *addr;
	unsigned long val;

	addr = (unsigned long __user *)user_stack_pointer(regs) + n;
	if (copy_from_user(&val, addr, sizeof(val))) {
		fetch_failed();
		return 0;
	}

	return val;
}

/*
 * @+FOFFS names a location in the probed file. The file is mapped linearly
 * around the probe, so its address is the probe's address moved by the
 * difference of the two file offsets.
 */
static unsigned long foffs_to_vaddr(unsigned long file_offset)
{
	struct uprobe_dispatch_data *udd = (void *)current->utask->vaddr;

	/* Both addresses move by the same load bias */
	return file_offset + (udd->bp_addr - udd->tu->foffset);
}

/* First stage of a fetch: the value the rest of the program works on */
static int trace_uprobe_fetch_base(struct fetch_insn *code, struct pt_regs *regs,
				   unsigned long *val)
{
	switch (code->op) {
	case FETCH_OP_IMM:
		*val = code->immediate;
		return 0;
	case FETCH_OP_FOFFS:
		*val = foffs_to_vaddr(code->immediate);
		return 0;
	case FETCH_OP_REG:
		*val = regs_get_register(regs, code->param);
		return 0;
	case FETCH_OP_STACKP:
		*val = user_stack_pointer(regs);
		return 0;
	case FETCH_OP_STACK:
		*val = user_stack_word(regs, code->param);
		return 0;
	case FETCH_OP_RETVAL:
		*val = regs_return_value(regs);
		return 0;
	default:
		return -EILSEQ;
	}
}

/* Entry point trace_probe_tmpl.h expects; @rec is the probed task's regs */
static int
process_fetch_insn(struct fetch_insn *code, void *rec, void *edata,
		   void *dest, void *base)
{
	unsigned long val = 0;
	int err;

	/* Kernel-resident strings skip the user memory stages entirely */
	if (code->op == FETCH_OP_COMM)
		return fetch_kernel_string(current->comm, code + 1, dest, base);
	if (code->op == FETCH_OP_DATA)
		return fetch_kernel_string(code->data, code + 1, dest, base);

	err = trace_uprobe_fetch_base(code, rec, &val);
	if (err)
		return err;

	return process_fetch_insn_bottom(code + 1, val, dest, base);
}

/*
 * Filtering. Ftrace records hits in every process, so while the event is
 * enabled for ftrace all mms are wanted. Perf events bound to a CPU (no
 * target task) want all mms too; perf events bound to a task want that
 * task's mm only.
 */
static void trace_uprobe_filter_init(struct trace_uprobe_filter *filter)
{
	rwlock_init(&filter->rwlock);
	filter->nr_systemwide = 0;
	INIT_LIST_HEAD(&filter->perf_events);
}

/* Called with filter->rwlock held */
static bool filter_wants_mm_locked(struct trace_uprobe_filter *filter,
				   struct mm_struct *mm)
{
	struct perf_event *event;

	if (filter->nr_systemwide)
		return true;

	list_for_each_entry(event, &filter->perf_events, hw.tp_list) {
		if (READ_ONCE(event->hw.target->mm) == mm)
			return true;
	}

	return false;
}

/*
 * Which users of @tu's event want a hit in @mm: the TP_FLAG_TRACE and
 * TP_FLAG_PROFILE bits of the event, the latter only where a perf event of
 * it covers @mm. Zero means no event of this probe wants @mm.
 */
static unsigned int trace_uprobe_users_in(struct trace_uprobe *tu,
					  struct mm_struct *mm)
{
	unsigned int users = trace_probe_load_flag(&tu->tp) &
			     (TP_FLAG_TRACE | TP_FLAG_PROFILE);
	struct trace_uprobe_filter *filter = trace_uprobe_get_filter(tu);

	if (users & TP_FLAG_PROFILE) {
		read_lock(&filter->rwlock);
		if (!filter_wants_mm_locked(filter, mm))
			users &= ~TP_FLAG_PROFILE;
		read_unlock(&filter->rwlock);
	}
	return users;
}

/*
 * trace_uprobe_users_in() for a hit in current, without the filter's lock
 * in the common cases, so that threads hitting the same probe on several
 * CPUs do not share a cache line: perf wants the hit when a system-wide
 * perf event of the probe exists or one is active on this CPU (perf
 * schedules a task's events in only while the task runs, so that is one
 * covering current). Only when neither holds is the filter walked, to tell
 * whether some event still covers current->mm; perf's own matching picks
 * the events that record. The caller may migrate after the check:
 * hit_to_perf() looks at the list again with preemption off.
 */
static unsigned int trace_uprobe_users_of_hit(struct trace_uprobe *tu)
{
	unsigned int users = trace_probe_load_flag(&tu->tp) &
			     (TP_FLAG_TRACE | TP_FLAG_PROFILE);
	struct trace_event_call *call = trace_probe_event_call(&tu->tp);
	bool active;

	if (!(users & TP_FLAG_PROFILE))
		return users;
	if (READ_ONCE(trace_uprobe_get_filter(tu)->nr_systemwide))
		return users;
	scoped_guard(preempt)
		active = !hlist_empty(this_cpu_ptr(call->perf_events));
	if (active)
		return users;
	return trace_uprobe_users_in(tu, current->mm);
}

/*
 * The consumer's filter: should the core keep this probe in @mm? Ftrace
 * wants every mm; perf those its events cover.
 */
static bool trace_uprobe_consumer_filter(struct uprobe_consumer *uc,
					 struct mm_struct *mm)
{
	struct trace_uprobe *tu = container_of(uc, struct trace_uprobe,
					       consumer);

	return trace_uprobe_users_in(tu, mm) != 0;
}

/* Ask the core to re-evaluate the filter for every probe of an event */
static int trace_uprobe_reapply_filter(struct trace_probe *tp, bool add)
{
	struct trace_uprobe *tu;
	int ret;

	list_for_each_entry(tu, trace_probe_probe_list(tp), tp.list) {
		if (!tu->handle)
			continue;
		ret = uprobe_apply(tu->handle, &tu->consumer, add);
		if (ret && add)
			return ret;
	}

	return 0;
}

/* Is everything @event wants already covered by the others? */
static bool filter_already_covers(struct trace_probe *tp, struct perf_event *event)
{
	struct trace_uprobe_filter *filter = tp->event->filter;

	if (trace_probe_test_flag(tp, TP_FLAG_TRACE) || filter->nr_systemwide)
		return true;

	return event->hw.target &&
	       filter_wants_mm_locked(filter, READ_ONCE(event->hw.target->mm));
}

static int trace_uprobe_perf_close(struct trace_event_call *call,
				   struct perf_event *event)
{
	struct trace_probe *tp = trace_probe_primary_from_call(call);
	struct trace_uprobe_filter *filter;
	bool covered;

	if (WARN_ON_ONCE(!tp))
		return -ENODEV;

	filter = tp->event->filter;
	write_lock(&filter->rwlock);
	if (event->hw.target)
		list_del(&event->hw.tp_list);
	else
		WRITE_ONCE(filter->nr_systemwide, filter->nr_systemwide - 1);
	covered = filter_already_covers(tp, event);
	write_unlock(&filter->rwlock);

	if (!covered)
		trace_uprobe_reapply_filter(tp, false);

	return 0;
}

static int trace_uprobe_perf_open(struct trace_event_call *call,
				  struct perf_event *event)
{
	struct trace_probe *tp = trace_probe_primary_from_call(call);
	struct trace_uprobe_filter *filter;
	bool covered;
	int ret;

	if (WARN_ON_ONCE(!tp))
		return -ENODEV;

	filter = tp->event->filter;
	write_lock(&filter->rwlock);
	covered = filter_already_covers(tp, event);
	if (event->hw.target)
		list_add(&event->hw.tp_list, &filter->perf_events);
	else
		WRITE_ONCE(filter->nr_systemwide, filter->nr_systemwide + 1);
	write_unlock(&filter->rwlock);

	if (covered)
		return 0;

	ret = trace_uprobe_reapply_filter(tp, true);
	if (ret)
		trace_uprobe_perf_close(call, event);

	return ret;
}

/*
 * Registration with the uprobes core, under event_mutex. The core asks the
 * consumer's filter in which mms to install the breakpoint.
 */
static int trace_uprobe_plant(struct trace_uprobe *tu)
{
	struct uprobe *uprobe = uprobe_register(d_real_inode(tu->fpath.dentry),
						tu->foffset, tu->refctr,
						&tu->consumer);

	tu->handle = IS_ERR(uprobe) ? NULL : uprobe;
	return PTR_ERR_OR_ZERO(uprobe);
}

/*
 * Take @tu's consumer off its uprobe, if planted. Handlers may still run
 * until uprobe_unregister_sync(); returns whether the caller must wait.
 */
static bool trace_uprobe_unplant_nosync(struct trace_uprobe *tu)
{
	struct uprobe *uprobe = tu->handle;

	if (!uprobe)
		return false;
	tu->handle = NULL;
	uprobe_unregister_nosync(uprobe, &tu->consumer);
	return true;
}

/*
 * Unplant every probe of @tp. With @wait, also wait for their handlers;
 * without, the caller must see to it through trace_uprobe_defer_settle().
 * Returns whether anything was unplanted.
 */
static bool trace_uprobe_unplant_all(struct trace_probe *tp, bool wait)
{
	struct trace_uprobe *tu;
	unsigned int n = 0;

	list_for_each_entry(tu, trace_probe_probe_list(tp), tp.list)
		n += trace_uprobe_unplant_nosync(tu);

	if (n && wait)
		uprobe_unregister_sync();
	return n;
}

/*
 * Waiting for handlers after ftrace disables an event is deferred, so that
 * disabling many events at once ("echo 0 > events/uprobes/enable") waits
 * once instead of once per event: uprobe_unregister_sync() is an SRCU grace
 * period, and a thousand of them back to back take tens of seconds.
 *
 * Until the wait has happened, the unplanted trace_uprobes may still be
 * seen by handlers, and so may the scratch buffers their last user held.
 * Everything that would free or reuse either settles first: enabling an
 * event (its consumer goes back on a list that a late handler may still be
 * walking), freeing a definition, and the delayed work below, which settles
 * a second after the last deferral. All of it runs under event_mutex.
 */
static bool trace_uprobe_unsynced;
static unsigned long trace_uprobe_sync_cookie;	/* of the last deferral */
static int uprobe_scratch_deferred;

static void trace_uprobe_settle(void)
{
	lockdep_assert_held(&event_mutex);

	if (!trace_uprobe_unsynced)
		return;
	/* Often the grace period has long passed: then there is no wait */
	if (!uprobe_unregister_sync_done(trace_uprobe_sync_cookie))
		uprobe_unregister_sync();
	trace_uprobe_unsynced = false;
	for (; uprobe_scratch_deferred; uprobe_scratch_deferred--)
		uprobe_scratch_release();
}

static void trace_uprobe_settle_work(struct work_struct *work)
{
	guard(mutex)(&event_mutex);
	trace_uprobe_settle();
}

static DECLARE_DELAYED_WORK(trace_uprobe_settle_dwork, trace_uprobe_settle_work);

/* @tp was unplanted without waiting; its scratch reference goes later */
static void trace_uprobe_defer_settle(void)
{
	lockdep_assert_held(&event_mutex);

	trace_uprobe_unsynced = true;
	trace_uprobe_sync_cookie = uprobe_unregister_sync_start();
	uprobe_scratch_deferred++;
	mod_delayed_work(system_wq, &trace_uprobe_settle_dwork, HZ);
}

/* Plant every probe of @tp; on failure none stays planted */
static int trace_uprobe_plant_all(struct trace_probe *tp)
{
	struct trace_uprobe *tu;
	int err;

	list_for_each_entry(tu, trace_probe_probe_list(tp), tp.list) {
		err = trace_uprobe_plant(tu);
		if (err) {
			trace_uprobe_unplant_all(tp, true);
			return err;
		}
	}
	return 0;
}

/* Note @file (an ftrace instance) or perf (@file == NULL) as a user of @tp */
static int trace_uprobe_add_user(struct trace_probe *tp, struct trace_event_file *file)
{
	if (!file) {
		trace_probe_set_flag(tp, TP_FLAG_PROFILE);
		return 0;
	}
	return trace_probe_add_file(tp, file);
}

/* Reverse of trace_uprobe_add_user() */
static int trace_uprobe_drop_user(struct trace_probe *tp, struct trace_event_file *file)
{
	if (!file) {
		trace_probe_clear_flag(tp, TP_FLAG_PROFILE);
		return 0;
	}
	return trace_probe_remove_file(tp, file) ? -ENOENT : 0;
}

/*
 * Enable the event for ftrace (@file) or perf (@file == NULL). The first
 * user plants every probe of the event; ftrace joining an event only perf
 * had used widens the probes from perf's targets to all processes.
 */
static int trace_uprobe_enable(struct trace_event_call *call,
			       struct trace_event_file *file)
{
	struct trace_probe *tp = trace_probe_primary_from_call(call);
	bool was_active, was_traced;
	int err;

	lockdep_assert_held(&event_mutex);
	if (WARN_ON_ONCE(!tp))
		return -ENODEV;

	was_active = trace_probe_is_enabled(tp);
	was_traced = trace_probe_test_flag(tp, TP_FLAG_TRACE);

	err = trace_uprobe_add_user(tp, file);
	if (err)
		return err;

	if (!was_active) {
		trace_uprobe_settle();
		err = uprobe_scratch_hold();
		if (!err) {
			err = trace_uprobe_plant_all(tp);
			if (err)
				uprobe_scratch_release();
		}
	} else if (file && !was_traced) {
		err = trace_uprobe_reapply_filter(tp, true);
	}

	if (err)
		trace_uprobe_drop_user(tp, file);
	return err;
}

static int trace_uprobe_disable(struct trace_event_call *call,
				struct trace_event_file *file)
{
	struct trace_probe *tp = trace_probe_primary_from_call(call);
	int err;

	lockdep_assert_held(&event_mutex);
	if (WARN_ON_ONCE(!tp))
		return -ENODEV;

	err = trace_uprobe_drop_user(tp, file);
	if (err)
		return err;

	if (!trace_probe_is_enabled(tp)) {
		/*
		 * The last user left: take the probes out everywhere. Perf
		 * frees what its handlers use right after this returns, so
		 * it waits here; ftrace's wait is deferred (see above).
		 */
		if (!file) {
			trace_uprobe_unplant_all(tp, true);
			uprobe_scratch_release();
		} else if (trace_uprobe_unplant_all(tp, false)) {
			trace_uprobe_defer_settle();
		} else {
			uprobe_scratch_release();
		}
	} else if (file && !trace_probe_test_flag(tp, TP_FLAG_TRACE)) {
		/* Only perf is left: drop the probes from unwanted mms */
		trace_uprobe_reapply_filter(tp, false);
	}
	return 0;
}

/*
 * The hit path.
 */

/* Everything one hit records, fetched once for both ftrace and perf */
struct uprobe_hit {
	struct pt_regs	*regs;
	unsigned long	addr[2];	/* ip, or func and ret_ip */
	int		hsize;		/* size of the record header */
	void		*data;		/* fetched arguments */
	int		dsize;		/* size of @data */
};

static void hit_fill_record(struct trace_uprobe_rec *rec,
			    struct uprobe_hit *hit)
{
	size_t addr_bytes = hit->hsize - sizeof(*rec);

	memcpy(rec->addr, hit->addr, addr_bytes);
	memcpy((u8 *)rec + hit->hsize, hit->data, hit->dsize);
}

/* Write one record to every ftrace instance the event is enabled in */
static void hit_to_ftrace(struct trace_uprobe *tu, struct uprobe_hit *hit)
{
	struct trace_event_buffer tbuf;
	struct event_file_link *link;
	struct trace_uprobe_rec *rec;

	/* Ring buffer writers must not be preempted: see hit_emit() */
	lockdep_assert_preemption_disabled();
	guard(rcu)();
	trace_probe_for_each_link_rcu(link, &tu->tp) {
		if (trace_trigger_soft_disabled(link->file))
			continue;

		rec = trace_event_buffer_reserve(&tbuf, link->file,
						 hit->hsize + hit->dsize);
		if (!rec)
			continue;
		hit_fill_record(rec, hit);
		tbuf.regs = hit->regs;
		trace_event_buffer_commit(&tbuf);
	}
}

#ifdef CONFIG_BPF_EVENTS
/*
 * Run the BPF programs attached through perf. Uprobe programs may be
 * sleepable, so the array is protected by RCU tasks trace, not plain RCU.
 * Returns 0 if the programs filtered the hit out.
 */
static u32 hit_run_bpf(struct trace_event_call *call, struct pt_regs *regs)
{
	u32 ret;

	if (!bpf_prog_array_valid(call))
		return 1;

	rcu_read_lock_trace();
	ret = bpf_prog_run_array_uprobe(rcu_dereference_check(call->prog_array,
							      rcu_read_lock_trace_held()),
					regs, bpf_prog_run);
	rcu_read_unlock_trace();

	return ret;
}
#else
static u32 hit_run_bpf(struct trace_event_call *call, struct pt_regs *regs)
{
	return 1;
}
#endif /* CONFIG_BPF_EVENTS */

static void hit_to_perf(struct trace_uprobe *tu, struct uprobe_hit *hit)
{
	struct trace_event_call *call = trace_probe_event_call(&tu->tp);
	struct hlist_head *events;
	struct trace_uprobe_rec *rec;
	int len, rctx;

	/* perf puts a u32 size in front and wants the sample u64 aligned */
	len = round_up(sizeof(u32) + hit->hsize + hit->dsize, sizeof(u64)) -
	      sizeof(u32);

	/*
	 * Perf frees call->perf_events an RCU grace period after its last
	 * event cleared TP_FLAG_PROFILE. The flag read when the hit began
	 * may be stale by now (the fetch may have slept), so look again
	 * here, where preemption is off: a set flag seen here is one perf
	 * waits for.
	 */
	lockdep_assert_preemption_disabled();
	if (!trace_probe_test_flag(&tu->tp, TP_FLAG_PROFILE))
		return;
	events = this_cpu_ptr(call->perf_events);
	if (hlist_empty(events))
		return;

	rec = perf_trace_buf_alloc(len, NULL, &rctx);
	if (rec) {
		hit_fill_record(rec, hit);
		perf_trace_buf_submit(rec, len, rctx, call->event.type, 1,
				      hit->regs, events, NULL);
	}
}

/*
 * Write the record to the @users (TP_FLAG_TRACE, TP_FLAG_PROFILE). Called
 * with preemption disabled, once: ring-buffer and perf writers must not be
 * preempted, and records show the preemption depth the task had.
 */
static void hit_emit(struct trace_uprobe *tu, struct uprobe_hit *hit,
		     unsigned int users)
{
	if (users & TP_FLAG_TRACE)
		hit_to_ftrace(tu, hit);
	if (users & TP_FLAG_PROFILE)
		hit_to_perf(tu, hit);
}

/* Fetch the arguments of @tu into the scratch buffer @buf */
static void hit_fetch_args(struct trace_uprobe *tu, struct uprobe_hit *hit,
			   void *buf)
{
	int room = UPROBE_RECORD_MAX - hit->hsize - tu->tp.size;
	int dsize;

	/* The fixed part of the largest definition always fits */
	BUILD_BUG_ON(UPROBE_RECORD_MAX <=
		     trace_uprobe_head_size(true) + MAX_PROBE_EVENT_SIZE);

	dsize = min(__get_data_size(&tu->tp, hit->regs, NULL), room);

	/*
	 * Arguments that fail to read are left untouched; clear them so a
	 * record never carries bytes from an earlier hit of another task.
	 */
	memset(buf, 0, tu->tp.size + dsize);
	store_trace_args(buf, &tu->tp, hit->regs, NULL, hit->hsize, dsize);

	hit->data = buf;
	hit->dsize = tu->tp.size + dsize;
}

/*
 * Record one hit for the @users (TP_FLAG_TRACE, TP_FLAG_PROFILE) that want
 * it: fetch once, emit to each.
 */
static void trace_uprobe_record_hit(struct trace_uprobe *tu, struct pt_regs *regs,
				    unsigned int users, unsigned long ip,
				    unsigned long ret_ip)
{
	struct uprobe_hit hit = {
		.regs	= regs,
		.addr	= { ip, ret_ip },
		.hsize	= trace_uprobe_head_size(trace_uprobe_is_return(tu)),
	};
	struct uprobe_scratch *scratch;

	/* BPF programs attached through perf may filter the perf record out */
	if ((users & TP_FLAG_PROFILE) &&
	    !hit_run_bpf(trace_probe_event_call(&tu->tp), regs))
		users &= ~TP_FLAG_PROFILE;
	if (!users)
		return;

	scoped_guard(preempt) {
		__this_cpu_write(uprobe_fetch_nofault, false);
		pagefault_disable();
		hit_fetch_args(tu, &hit, this_cpu_ptr(uprobe_scratch)->fast);
		pagefault_enable();
		if (!__this_cpu_read(uprobe_fetch_nofault)) {
			hit_emit(tu, &hit, users);
			return;
		}
	}

	/* Some argument is in a page that is not present: fault it in */
	scratch = raw_cpu_ptr(uprobe_scratch);
	mutex_lock(&scratch->lock);
	hit_fetch_args(tu, &hit, scratch->buf);
	scoped_guard(preempt)
		hit_emit(tu, &hit, users);
	mutex_unlock(&scratch->lock);
}

/*
 * Record a hit of @tu at @func (the probed address; for a return probe the
 * function's). Meanwhile current->utask->vaddr points to a
 * uprobe_dispatch_data: @+FOFFS fetches and BPF's bpf_get_func_ip() read
 * both the probe and the address from there. Return handlers run outside a
 * breakpoint hit, so whatever vaddr held is put back afterwards.
 */
static void trace_uprobe_dispatch(struct trace_uprobe *tu, struct pt_regs *regs,
				  unsigned int users, unsigned long func,
				  unsigned long ret_ip)
{
	struct uprobe_dispatch_data udd = { .tu = tu, .bp_addr = func };
	struct uprobe_task *utask = current->utask;
	unsigned long saved = utask->vaddr;

	utask->vaddr = (unsigned long)&udd;
	trace_uprobe_record_hit(tu, regs, users, func, ret_ip);
	utask->vaddr = saved;
}

/*
 * The breakpoint was hit. Entry and return probes alike ask the core to
 * take it out of this mm when no event of theirs wants the mm (only perf
 * uses the event, and none of its perf events covers current->mm): for a
 * return probe that also saves hijacking the return address. The core
 * does so only if no consumer's filter wants the mm either.
 */
static int trace_uprobe_entry_handler(struct uprobe_consumer *uc,
				      struct pt_regs *regs)
{
	struct trace_uprobe *tu = container_of(uc, struct trace_uprobe, consumer);
	unsigned int users;

	if (WARN_ON_ONCE(!current->utask))
		return 0;

	this_cpu_inc(*tu->hits);
	users = trace_uprobe_users_of_hit(tu);
	if (!users)
		return UPROBE_HANDLER_REMOVE;

	/* A return probe records when the function returns */
	if (!trace_uprobe_is_return(tu))
		trace_uprobe_dispatch(tu, regs, users, current->utask->vaddr, 0);
	return 0;
}

static int trace_uprobe_return_handler(struct uprobe_consumer *uc,
				       unsigned long func, struct pt_regs *regs)
{
	struct trace_uprobe *tu = container_of(uc, struct trace_uprobe, consumer);
	unsigned int users;

	if (WARN_ON_ONCE(!current->utask))
		return 0;

	users = trace_uprobe_users_of_hit(tu);
	if (users)
		trace_uprobe_dispatch(tu, regs, users, func,
				      instruction_pointer(regs));
	return 0;
}

/*
 * Output: trace text and event format.
 */
static enum print_line_t
trace_uprobe_print_record(struct trace_iterator *iter, int flags,
			  struct trace_event *event)
{
	struct trace_uprobe_rec *rec = (struct trace_uprobe_rec *)iter->ent;
	struct trace_event_call *call;
	struct trace_seq *s = &iter->seq;
	struct trace_uprobe *tu;
	int naddr;

	call = container_of(event, struct trace_event_call, event);
	tu = trace_uprobe_primary(call);
	if (unlikely(!tu))
		return trace_handle_return(s);

	naddr = trace_uprobe_is_return(tu) ? 2 : 1;
	if (naddr == 2)
		trace_seq_printf(s, "%s: (0x%lx <- 0x%lx)",
				 trace_probe_name(&tu->tp),
				 rec->addr[1], rec->addr[0]);
	else
		trace_seq_printf(s, "%s: (0x%lx)",
				 trace_probe_name(&tu->tp), rec->addr[0]);

	/* A record whose arguments cannot be shown ends without a newline */
	if (trace_probe_print_args(s, tu->tp.args, tu->tp.nr_args,
				   (u8 *)&rec->addr[naddr], rec) >= 0)
		trace_seq_putc(s, '\n');

	return trace_handle_return(s);
}

/* The addresses in front of the arguments, for entry and return probes */
static const char *const trace_uprobe_addr_fields[2][2] = {
	[false]	= { FIELD_STRING_IP },
	[true]	= { FIELD_STRING_FUNC, FIELD_STRING_RETIP },
};

static int trace_uprobe_define_fields(struct trace_event_call *call)
{
	struct trace_uprobe *tu = trace_uprobe_primary(call);
	const char *const *name;
	size_t offs;
	int err;

	if (unlikely(!tu))
		return -ENOENT;

	offs = offsetof(struct trace_uprobe_rec, addr);
	name = trace_uprobe_addr_fields[trace_uprobe_is_return(tu)];
	for (; offs < trace_uprobe_head_size(trace_uprobe_is_return(tu));
	     offs += sizeof(unsigned long), name++) {
		err = trace_define_field(call, "unsigned long", *name, offs,
					 sizeof(unsigned long), 0, FILTER_OTHER);
		if (err)
			return err;
	}

	return traceprobe_define_arg_fields(call, offs, &tu->tp);
}

/*
 * Called by perf_trace_init()/perf_uprobe_init() or
 * __ftrace_set_clr_event(), all under event_mutex.
 */
static int trace_uprobe_reg(struct trace_event_call *call,
			    enum trace_reg type, void *data)
{
	switch (type) {
	case TRACE_REG_PERF_OPEN:
		return trace_uprobe_perf_open(call, data);
	case TRACE_REG_PERF_CLOSE:
		return trace_uprobe_perf_close(call, data);
	case TRACE_REG_REGISTER:
	case TRACE_REG_PERF_REGISTER:
		/* @data is the ftrace instance's file; perf passes no file */
		return trace_uprobe_enable(call, type == TRACE_REG_REGISTER ? data : NULL);
	case TRACE_REG_UNREGISTER:
	case TRACE_REG_PERF_UNREGISTER:
		return trace_uprobe_disable(call,
				   type == TRACE_REG_UNREGISTER ? data : NULL);
	default:
		/* PERF_ADD/PERF_DEL: perf schedules by itself, nothing to do */
		return 0;
	}
}

static struct trace_event_functions trace_uprobe_funcs = {
	.trace = trace_uprobe_print_record,
};

static struct trace_event_fields trace_uprobe_fields[] = {
	{ .type = TRACE_FUNCTION_TYPE, .define_fields = trace_uprobe_define_fields },
	{}
};

/* Hook a new event's call up to our output and registration callbacks */
static void trace_uprobe_init_call(struct trace_uprobe *tu)
{
	struct trace_event_call *call = trace_probe_event_call(&tu->tp);
	struct trace_event_class *class = call->class;

	class->reg = trace_uprobe_reg;
	class->fields_array = trace_uprobe_fields;
	call->event.funcs = &trace_uprobe_funcs;
	/*
	 * A record only holds what the probed task could read itself, so a
	 * user may sample it from its own tasks without perf_allow_tracepoint().
	 */
	call->flags = TRACE_EVENT_FL_UPROBE | TRACE_EVENT_FL_CAP_ANY;
}

/*
 * Definition life cycle.
 */

/* Where a definition probes, as parsed from "PATH:OFFSET..." */
struct trace_uprobe_place {
	char		*spec;		/* PATH once parsed; kmalloc()ed */
	struct path	fpath;
	unsigned long	foffset;
	unsigned long	refctr;
	int		foffset_pos;	/* carets: where the numbers are */
	int		refctr_pos;
	bool		is_return;
};

/* Also takes apart what trace_uprobe_alloc() got only halfway through */
static void trace_uprobe_free(struct trace_uprobe *tu)
{
	if (IS_ERR_OR_NULL(tu))
		return;

	free_percpu(tu->hits);
	trace_probe_cleanup(&tu->tp);
	kfree(tu->user_path);
	path_put(&tu->fpath);
	kfree(tu);
}

/*
 * The callbacks of entry and return probes. Both have an entry handler:
 * it counts the hit and asks the core to take the breakpoint out of mms
 * no event of the probe wants.
 */
static const struct uprobe_consumer trace_uprobe_consumers[2] = {
	[false] = {
		.handler	= trace_uprobe_entry_handler,
		.filter		= trace_uprobe_consumer_filter,
	},
	[true] = {
		.handler	= trace_uprobe_entry_handler,
		.ret_handler	= trace_uprobe_return_handler,
		.filter		= trace_uprobe_consumer_filter,
	},
};

/*
 * A definition of @group/@event at @pl with room for @nargs arguments. It
 * takes over @pl's file reference and path string, which are dropped if it
 * fails: @pl is consumed either way.
 */
static struct trace_uprobe *trace_uprobe_alloc(struct trace_uprobe_place *pl,
					       const char *group,
					       const char *event, int nargs)
{
	struct trace_uprobe *tu = kzalloc(struct_size(tu, tp.args, nargs),
					  GFP_KERNEL);
	int err;

	if (!tu) {
		path_put(&pl->fpath);
		kfree(pl->spec);
		return ERR_PTR(-ENOMEM);
	}

	tu->user_path = pl->spec;
	tu->fpath = pl->fpath;
	tu->foffset = pl->foffset;
	tu->refctr = pl->refctr;
	tu->consumer = trace_uprobe_consumers[pl->is_return];
	dyn_event_init(&tu->devent, &trace_uprobe_ops);

	err = trace_probe_init(&tu->tp, event, group, true, nargs);
	if (!err) {
		trace_uprobe_filter_init(trace_uprobe_get_filter(tu));
		tu->hits = alloc_percpu(unsigned long);
		err = tu->hits ? 0 : -ENOMEM;
	}
	if (err) {
		trace_uprobe_free(tu);
		return ERR_PTR(err);
	}
	return tu;
}

/* The first definition of @group/@event, found as "-:GRP/EVENT" would be */
static struct trace_uprobe *trace_uprobe_find(const char *group,
					      const char *event)
{
	struct dyn_event *pos;

	for_each_dyn_event(pos) {
		if (is_trace_uprobe(pos) &&
		    trace_uprobe_match(group, event, 0, NULL, pos))
			return to_trace_uprobe(pos);
	}
	return NULL;
}

/*
 * Take @tu off the dynamic event list and out of its event. A sibling goes
 * alone, even while the event is in use; the event goes with its last
 * probe, but only once nobody uses it.
 */
static int trace_uprobe_unlink(struct trace_uprobe *tu)
{
	struct trace_probe *tp = &tu->tp;

	/*
	 * Handlers must be done with @tu before it can be freed. A sibling
	 * is unplanted first, so that one wait covers it and any deferred
	 * one; the last probe's event must be idle before it goes.
	 */
	if (trace_probe_has_sibling(tp) && trace_uprobe_unplant_nosync(tu)) {
		trace_uprobe_unsynced = true;
		trace_uprobe_sync_cookie = uprobe_unregister_sync_start();
	}
	trace_uprobe_settle();
	if (!trace_probe_has_sibling(tp) &&
	    (trace_probe_is_enabled(tp) ||
	     trace_event_dyn_busy(trace_probe_event_call(tp)) ||
	     trace_probe_unregister_event_call(tp)))
		return -EBUSY;

	dyn_event_remove(&tu->devent);
	trace_probe_unlink(tp);
	return 0;
}

/* Do @a and @b fetch alike, argument by argument? */
static bool trace_uprobe_same_fetch(struct trace_probe *a,
				    struct trace_probe *b)
{
	int i = a->nr_args;

	if (i != b->nr_args)
		return false;
	while (i--) {
		if (strcmp(a->args[i].comm, b->args[i].comm))
			return false;
	}
	return true;
}

/* Would @tu repeat a probe of @event exactly: same place, same fetches? */
static bool trace_uprobe_repeats(struct trace_uprobe *tu,
				 struct trace_probe *event)
{
	struct inode *inode = d_real_inode(tu->fpath.dentry);
	struct trace_uprobe *sib;

	list_for_each_entry(sib, trace_probe_probe_list(event), tp.list) {
		if (sib->foffset == tu->foffset &&
		    d_real_inode(sib->fpath.dentry) == inode &&
		    trace_uprobe_same_fetch(&sib->tp, &tu->tp))
			return true;
	}
	return false;
}

/* Log @err (a TP_ERR_* code) with the caret under command word @word */
static void trace_uprobe_log_word(int word, int err)
{
	trace_probe_log_set_index(word);
	__trace_probe_log_err(0, err);
}

/*
 * May @tu join the event of @first, the existing GRP/EVENT? Only as a
 * probe of the same kind, with the same argument names and types, and not
 * as a copy of a probe the event has. Otherwise the reason is logged.
 */
static int trace_uprobe_check_join(struct trace_uprobe *tu,
				   struct trace_uprobe *first)
{
	/* Argument N (1-based) is command word N + 1 */
	int diff = trace_probe_compare_arg_type(&tu->tp, &first->tp);

	if (trace_uprobe_is_return(tu) != trace_uprobe_is_return(first))
		trace_uprobe_log_word(0, TP_ERR_DIFF_PROBE_TYPE);
	else if (diff)
		trace_uprobe_log_word(diff + 1, TP_ERR_DIFF_ARG_TYPE);
	else if (trace_uprobe_repeats(tu, &first->tp))
		trace_uprobe_log_word(0, TP_ERR_SAME_PROBE);
	else
		return 0;
	return -EEXIST;
}

/*
 * Move @tu into the event of @first. A probe joining an event in use is
 * planted right away; if that fails it leaves the event again.
 */
static int trace_uprobe_join(struct trace_uprobe *tu,
			     struct trace_uprobe *first)
{
	int err = trace_probe_append(&tu->tp, &first->tp);

	if (err || !trace_probe_is_enabled(&tu->tp))
		return err;

	err = trace_uprobe_plant(tu);
	if (err)
		trace_probe_unlink(&tu->tp);
	return err;
}

/* Give @tu an event of its own */
static int trace_uprobe_new_event(struct trace_uprobe *tu)
{
	int err;

	trace_uprobe_init_call(tu);
	err = trace_probe_register_event_call(&tu->tp);
	if (err == -EEXIST)	/* the name belongs to an event of another kind */
		trace_uprobe_log_word(0, TP_ERR_EVENT_EXIST);
	else if (err)
		pr_warn("Failed to register probe event(%d)\n", err);
	return err;
}

/*
 * Make @tu visible: as one more probe of the event GRP/EVENT if that
 * exists and may take it, else as a new event.
 */
static int trace_uprobe_publish(struct trace_uprobe *tu)
{
	struct trace_uprobe *first;
	int err;

	guard(mutex)(&event_mutex);

	first = trace_uprobe_find(trace_probe_group_name(&tu->tp),
				  trace_probe_name(&tu->tp));
	if (!first)
		err = trace_uprobe_new_event(tu);
	else
		err = trace_uprobe_check_join(tu, first) ?:
		      trace_uprobe_join(tu, first);

	if (!err)
		dyn_event_add(&tu->devent, trace_probe_event_call(&tu->tp));
	return err;
}

/*
 * Take a reference on the regular file at @name. Errors go to the error log
 * only for uprobe_events commands (@log): perf's local events have none.
 */
static int trace_uprobe_pin_file(const char *name, struct path *fpath, bool log)
{
	int err = kern_path(name, LOOKUP_FOLLOW, fpath);

	if (err) {
		if (log)
			trace_probe_log_err(0, FILE_NOT_FOUND);
		return err;
	}
	if (!d_is_reg(fpath->dentry)) {
		if (log)
			trace_probe_log_err(0, NO_REGULAR_FILE);
		path_put(fpath);
		return -EINVAL;
	}
	return 0;
}

static int trace_uprobe_set_print_fmt(struct trace_uprobe *tu)
{
	int err;

	err = traceprobe_set_print_fmt(&tu->tp, trace_uprobe_is_return(tu) ?
				       PROBE_PRINT_RETURN : PROBE_PRINT_NORMAL);
	return err < 0 ? err : 0;
}

/*
 * "(REF_CTR_OFFSET)" starting at @open. It must end the place, so that
 * "%return" can only come before it. Carets are relative to @spec.
 */
static int parse_refctr(struct trace_uprobe_place *pl, char *open)
{
	const char *spec = pl->spec;
	unsigned long *refctr = &pl->refctr;
	char *close = strchr(open, ')');

	if (!close) {
		trace_probe_log_err(open - spec + strlen(open),
				    REFCNT_OPEN_BRACE);
		return -EINVAL;
	}
	if (close[1]) {
		trace_probe_log_err(close + 1 - spec, BAD_REFCNT_SUFFIX);
		return -EINVAL;
	}

	*open = '\0';
	*close = '\0';
	pl->refctr_pos = open + 1 - spec;
	if (kstrtoul(open + 1, 0, refctr)) {
		trace_probe_log_err(open + 1 - spec, BAD_REFCNT);
		return -EINVAL;
	}
	return 0;
}

/*
 * Cut pl->spec, "PATH:OFFSET[%return][(REF_CTR_OFFSET)]", down to PATH and
 * fill in the numbers. The last ':' separates path and offset; the caller
 * made sure there is one.
 */
static int parse_probe_place(struct trace_uprobe_place *pl)
{
	char *spec = pl->spec;
	char *num = strrchr(spec, ':') + 1;
	char *open, *pct;
	int err;

	num[-1] = '\0';

	open = strchr(num, '(');
	if (open) {
		err = parse_refctr(pl, open);
		if (err)
			return err;
	}

	pct = strchr(num, '%');
	if (pct) {
		if (strcmp(pct, "%return")) {
			trace_probe_log_err(pct - spec, BAD_ADDR_SUFFIX);
			return -EINVAL;
		}
		*pct = '\0';
		pl->is_return = true;
	}

	pl->foffset_pos = num - spec;
	if (kstrtoul(num, 0, &pl->foffset)) {
		trace_probe_log_err(num - spec, BAD_UPROBE_OFFS);
		return -EINVAL;
	}
	return 0;
}

/*
 * uprobe_register() refuses a probe at or past the end of the file and an
 * odd reference counter offset, but only when the event is enabled. Say so
 * when it is defined, under the number. A counter past the end of the file
 * is fine: it may be in the bss of the last page.
 */
static int check_probe_place(struct trace_uprobe_place *pl)
{
	loff_t size = i_size_read(d_real_inode(pl->fpath.dentry));

	if (pl->foffset >= (unsigned long)size) {
		trace_probe_log_err(pl->foffset_pos, OFFS_PAST_EOF);
		return -EINVAL;
	}
	if (!IS_ALIGNED(pl->refctr, sizeof(short))) {
		trace_probe_log_err(pl->refctr_pos, BAD_REFCNT);
		return -EINVAL;
	}
	return 0;
}

/* Parse and pin the place argument @arg; errors are logged against it */
static int trace_uprobe_resolve_place(const char *arg, struct trace_uprobe_place *pl)
{
	int err;

	trace_probe_log_set_index(1);
	pl->spec = kstrdup(arg, GFP_KERNEL);
	if (!pl->spec)
		return -ENOMEM;

	err = parse_probe_place(pl);
	if (!err)
		err = trace_uprobe_pin_file(pl->spec, &pl->fpath, true);
	if (!err) {
		err = check_probe_place(pl);
		if (err)
			path_put(&pl->fpath);
	}
	if (err)
		kfree(pl->spec);
	return err;
}

/* Parse the fetch arguments, which follow the command word and the place */
static int trace_uprobe_parse_args(struct trace_uprobe *tu, int argc, const char **argv)
{
	struct traceprobe_parse_context ctx = {
		.flags = TPARG_FL_USER |
			 (trace_uprobe_is_return(tu) ? TPARG_FL_RETURN : 0),
	};
	int n, err = 0;

	for (n = 0; n < argc && !err; n++) {
		trace_probe_log_set_index(n + 2);
		ctx.offset = 0;
		err = traceprobe_parse_probe_arg(&tu->tp, n, argv[n], &ctx);
	}
	traceprobe_finish_parse(&ctx);

	return err ? err : trace_uprobe_set_print_fmt(tu);
}

/*
 * dynamic_events offers every command to every provider. Ours start with
 * 'p' or 'r' and name a place with a '/' in its path and a ':' before its
 * offset; "r10" is a kretprobe with maxactive and "[MOD:]SYM" a kprobe.
 */
static bool trace_uprobe_claims(int argc, const char **argv)
{
	const char *cmd = argv[0];

	if (cmd[0] != 'p' && cmd[0] != 'r')
		return false;
	if (cmd[1] != '\0' && cmd[1] != ':')
		return false;
	return argc >= 2 && strchr(argv[1], '/') && strchr(argv[1], ':');
}

/*
 * A generated name must pass is_good_name() like a given one: the
 * basename of the file can hold any byte but '/' ("[", "libstdc++").
 */
static void trace_uprobe_sanitize_name(char *name)
{
	for (; *name; name++)
		if (!isascii(*name) || (!isalnum(*name) && *name != '_'))
			*name = '_';
}

/* Build and publish a definition at @pl; consumes @pl */
static int trace_uprobe_build(int argc, const char **argv, struct trace_uprobe_place *pl)
{
	const char *group = TRACE_UPROBE_GROUP;
	char gbuf[MAX_EVENT_NAME_LEN];
	char nbuf[MAX_EVENT_NAME_LEN];
	struct trace_uprobe *tu;
	const char *event, *base;
	int err;

	trace_probe_log_set_index(0);
	event = strchr(argv[0] + 1, ':');
	if (event) {
		event++;
		err = traceprobe_parse_event_name(&event, &group, gbuf,
						  event - argv[0]);
		if (err)
			goto drop_place;
	}
	if (!event) {
		/* p_<basename up to the first '.', '-' or '_'>_0x<offset> */
		base = kbasename(pl->spec);
		snprintf(nbuf, sizeof(nbuf), "p_%.*s_0x%lx",
			 (int)strcspn(base, ".-_"), base, pl->foffset);
		trace_uprobe_sanitize_name(nbuf);
		event = nbuf;
	}

	if (argc - 2 > MAX_TRACE_ARGS) {
		/* Under the first argument too many */
		trace_uprobe_log_word(MAX_TRACE_ARGS + 2, TP_ERR_TOO_MANY_ARGS);
		err = -E2BIG;
		goto drop_place;
	}

	tu = trace_uprobe_alloc(pl, group, event, argc - 2);
	if (IS_ERR(tu))
		return PTR_ERR(tu);

	err = trace_uprobe_parse_args(tu, argc - 2, argv + 2);
	if (!err)
		err = trace_uprobe_publish(tu);
	if (err)
		trace_uprobe_free(tu);
	return err;

drop_place:
	path_put(&pl->fpath);
	kfree(pl->spec);
	return err;
}

/*
 * Why trace_uprobe_claims() refused a command written to uprobe_events,
 * where no other provider may take it.
 */
static void trace_uprobe_log_unclaimed(int argc, const char **argv)
{
	const char *cmd = argv[0];

	if (cmd[0] != 'p' && cmd[0] != 'r') {
		trace_uprobe_log_word(0, TP_ERR_BAD_PROBE_CMD);
	} else if (cmd[1] != '\0' && cmd[1] != ':') {
		trace_probe_log_set_index(0);
		trace_probe_log_err(1, BAD_PROBE_CMD);
	} else if (argc < 2) {
		/* Past the last word: where the place should be */
		trace_uprobe_log_word(1, TP_ERR_NO_PROBE_PLACE);
	} else if (!strchr(argv[1], '/')) {
		trace_uprobe_log_word(1, TP_ERR_BAD_UPROBE_PATH);
	} else {
		/* No ':': the offset is missing at the end of the place */
		trace_probe_log_set_index(1);
		trace_probe_log_err(strlen(argv[1]), BAD_UPROBE_OFFS);
	}
}

/*
 * Definition commands, after trace_probe_create() split them:
 *	p[:[GRP/|GRP.][EVENT]] PATH:OFFSET[%return][(REF)] [FETCHARGS]
 *	r[:[GRP/|GRP.][EVENT]] PATH:OFFSET[(REF)] [FETCHARGS]
 * Deletions ("-:...") never get here; dyn_event_release() handles them.
 */
static int __trace_uprobe_parse_define(int argc, const char **argv, bool only_us)
{
	struct trace_uprobe_place pl = { };
	int err;

	if (!trace_uprobe_claims(argc, argv)) {
		if (!only_us)
			return -ECANCELED;
		trace_probe_log_init("trace_uprobe", argc, argv);
		trace_uprobe_log_unclaimed(argc, argv);
		trace_probe_log_clear();
		return -EINVAL;
	}

	trace_probe_log_init("trace_uprobe", argc, argv);
	pl.is_return = argv[0][0] == 'r';
	err = trace_uprobe_resolve_place(argv[1], &pl);
	if (!err)
		err = trace_uprobe_build(argc, argv, &pl);
	trace_probe_log_clear();
	return err;
}

/* dynamic_events: leave what is not ours to the other providers */
static int trace_uprobe_parse_define(int argc, const char **argv)
{
	return __trace_uprobe_parse_define(argc, argv, false);
}

/* uprobe_events: everything is ours, so explain every refusal */
static int trace_uprobe_parse_command(int argc, const char **argv)
{
	return __trace_uprobe_parse_define(argc, argv, true);
}

/*
 * The dynamic_events entry points, for "dynamic_events" and, through
 * trace_uprobe_run_command(), for uprobe_events.
 */
static int trace_uprobe_create(const char *raw_command)
{
	return trace_probe_create(raw_command, trace_uprobe_parse_define);
}

static int trace_uprobe_show(struct seq_file *m, struct dyn_event *ev)
{
	struct trace_uprobe *tu = to_trace_uprobe(ev);
	struct probe_arg *arg = tu->tp.args;
	char *place = trace_uprobe_place_str(tu);

	if (!place)
		return -ENOMEM;

	seq_printf(m, "%c:%s/%s %s", trace_uprobe_is_return(tu) ? 'r' : 'p',
		   trace_probe_group_name(&tu->tp), trace_probe_name(&tu->tp),
		   place);
	kfree(place);

	for (; arg < tu->tp.args + tu->tp.nr_args; arg++)
		seq_printf(m, " %s=%s", arg->name, arg->comm);
	seq_putc(m, '\n');
	return 0;
}

static bool trace_uprobe_is_busy(struct dyn_event *ev)
{
	return trace_probe_is_enabled(&to_trace_uprobe(ev)->tp);
}

static int trace_uprobe_release(struct dyn_event *ev)
{
	struct trace_uprobe *tu = to_trace_uprobe(ev);
	int err = trace_uprobe_unlink(tu);

	if (!err)
		trace_uprobe_free(tu);
	return err;
}

static struct dyn_event_operations trace_uprobe_ops = {
	.create		= &trace_uprobe_create,
	.show		= &trace_uprobe_show,
	.is_busy	= &trace_uprobe_is_busy,
	.free		= &trace_uprobe_release,
	.match		= &trace_uprobe_match,
};

/* A line written to uprobe_events: a definition, or "-:..." to delete */
static int trace_uprobe_run_command(const char *raw_command)
{
	int err;

	if (raw_command[0] == '-')
		return dyn_event_release(raw_command, &trace_uprobe_ops);

	mutex_lock(&dyn_event_ops_mutex);
	err = trace_probe_create(raw_command, trace_uprobe_parse_command);
	mutex_unlock(&dyn_event_ops_mutex);
	return err;
}

/*
 * tracefs files: uprobe_events and uprobe_profile. Both are seq_files over
 * the dynamic event list that show our events, a line each; they differ in
 * the line and in that uprobe_events also takes commands.
 */
struct trace_uprobe_tracefs {
	const char	*name;
	umode_t		mode;
	int		(*show)(struct seq_file *m, struct trace_uprobe *tu);
	bool		commands;	/* writable; O_TRUNC deletes all events */
};

static int trace_uprobe_show_hits(struct seq_file *m, struct trace_uprobe *tu)
{
	unsigned long hits = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		hits += READ_ONCE(*per_cpu_ptr(tu->hits, cpu));

	seq_printf(m, "  %s %-44s %15lu\n", tu->user_path,
		   trace_probe_name(&tu->tp), hits);
	return 0;
}

static int trace_uprobe_show_definition(struct seq_file *m,
					struct trace_uprobe *tu)
{
	return trace_uprobe_show(m, &tu->devent);
}

static const struct trace_uprobe_tracefs trace_uprobe_files[] = {
	{ "uprobe_events", TRACE_MODE_WRITE, trace_uprobe_show_definition, true },
	{ "uprobe_profile", TRACE_MODE_READ, trace_uprobe_show_hits, false },
};

static int trace_uprobe_seq_show(struct seq_file *m, void *v)
{
	const struct trace_uprobe_tracefs *f = m->private;
	struct dyn_event *ev = v;

	return is_trace_uprobe(ev) ? f->show(m, to_trace_uprobe(ev)) : 0;
}

static const struct seq_operations trace_uprobe_seq_ops = {
	.start	= dyn_event_seq_start,
	.next	= dyn_event_seq_next,
	.stop	= dyn_event_seq_stop,
	.show	= trace_uprobe_seq_show,
};

/* Opening uprobe_events with O_TRUNC deletes all our events, or fails -EBUSY */
static int trace_uprobe_file_open(struct inode *inode, struct file *file)
{
	const struct trace_uprobe_tracefs *f = inode->i_private;
	bool truncate = (file->f_mode & FMODE_WRITE) &&
			(file->f_flags & O_TRUNC);
	int err = security_locked_down(LOCKDOWN_TRACEFS);

	if (!err && truncate && f->commands)
		err = dyn_events_release_all(&trace_uprobe_ops);
	if (!err)
		err = seq_open(file, &trace_uprobe_seq_ops);
	if (!err)
		((struct seq_file *)file->private_data)->private = (void *)f;
	return err;
}

static ssize_t trace_uprobe_file_write(struct file *file,
				       const char __user *buffer,
				       size_t count, loff_t *ppos)
{
	const struct trace_uprobe_tracefs *f = file_inode(file)->i_private;

	if (!f->commands)
		return -EINVAL;
	return trace_parse_run_command(file, buffer, count, ppos,
				       trace_uprobe_run_command);
}

static const struct file_operations trace_uprobe_file_fops = {
	.open		= &trace_uprobe_file_open,
	.read		= &seq_read,
	.write		= &trace_uprobe_file_write,
	.llseek		= &seq_lseek,
	.release	= &seq_release,
};

/**
 * bpf_get_uprobe_info - describe the uprobe behind a perf event
 * @event:		a perf event of a uprobe event (tracepoint or PMU)
 * @fd_type:		set to BPF_FD_TYPE_UPROBE or BPF_FD_TYPE_URETPROBE
 * @filename:		set to the probed file's path
 * @probe_offset:	set to the probed file offset
 * @probe_addr:		set to 0; uprobes have no single address
 * @perf_type_tracepoint: whether @event was opened as a tracepoint; both
 *			kinds point to the event's trace_event_call
 *
 * Used by BPF_TASK_FD_QUERY and BPF link info.
 *
 * Return: 0, or -EINVAL if the event has no probe.
 */
int bpf_get_uprobe_info(const struct perf_event *event, u32 *fd_type,
			const char **filename, u64 *probe_offset,
			u64 *probe_addr, bool perf_type_tracepoint)
{
	static const u32 types[2] = {
		[false] = BPF_FD_TYPE_UPROBE,
		[true]	= BPF_FD_TYPE_URETPROBE,
	};
	struct trace_uprobe *tu;

	guard(mutex)(&event_mutex);

	tu = trace_uprobe_primary(event->tp_event);
	if (!tu)
		return -EINVAL;

	*probe_addr = 0;
	*probe_offset = tu->foffset;
	*filename = tu->user_path;
	*fd_type = types[trace_uprobe_is_return(tu)];
	return 0;
}

/**
 * create_local_trace_uprobe - make a uprobe event for one perf event
 * @name:		path of the file to probe
 * @offs:		file offset of the probed instruction
 * @ref_ctr_offset:	file offset of the USDT semaphore, or 0
 * @is_return:		probe function returns instead
 *
 * The event backs a perf "uprobe" PMU event. It is not added to the dynamic
 * event list, so it is invisible in uprobe_events and its name never
 * clashes; its probes fire only in the perf event's target.
 *
 * Return: the event's trace_event_call, or an ERR_PTR.
 */
struct trace_event_call *
create_local_trace_uprobe(char *name, unsigned long offs,
			  unsigned long ref_ctr_offset, bool is_return)
{
	struct trace_uprobe_place pl = {
		.foffset	= offs,
		.refctr		= ref_ctr_offset,
		.is_return	= is_return,
	};
	struct trace_uprobe *tu;
	int err;

	pl.spec = kstrdup(name, GFP_KERNEL);
	if (!pl.spec)
		return ERR_PTR(-ENOMEM);

	err = trace_uprobe_pin_file(pl.spec, &pl.fpath, false);
	if (err) {
		kfree(pl.spec);
		return ERR_PTR(err);
	}

	tu = trace_uprobe_alloc(&pl, TRACE_UPROBE_GROUP, "DUMMY_EVENT", 0);
	if (IS_ERR(tu))
		return ERR_CAST(tu);

	trace_uprobe_init_call(tu);
	err = trace_uprobe_set_print_fmt(tu);
	if (err) {
		trace_uprobe_free(tu);
		return ERR_PTR(err);
	}
	return trace_probe_event_call(&tu->tp);
}

/**
 * destroy_local_trace_uprobe - free an event from create_local_trace_uprobe()
 * @event_call: the event; perf has already disabled and closed it
 */
void destroy_local_trace_uprobe(struct trace_event_call *event_call)
{
	struct trace_uprobe *tu;

	tu = trace_uprobe_primary(event_call);
	if (unlikely(!tu))
		return;

	/* perf_trace_event_unreg() disabled it, which waited for handlers */
	if (WARN_ON_ONCE(trace_probe_is_enabled(&tu->tp)))
		return;

	trace_uprobe_free(tu);
}

/*
 * Register dynevent at core_initcall so that "dynamic_events" knows us as
 * early as kprobes; the tracefs files come with fs_initcall.
 */
static __init int trace_uprobe_register_dynevent(void)
{
	return dyn_event_register(&trace_uprobe_ops);
}
core_initcall(trace_uprobe_register_dynevent);

static __init int trace_uprobe_create_files(void)
{
	const struct trace_uprobe_tracefs *f;

	if (tracing_init_dentry())
		return 0;

	for (f = trace_uprobe_files; f < trace_uprobe_files + ARRAY_SIZE(trace_uprobe_files); f++)
		trace_create_file(f->name, f->mode, NULL, (void *)f,
				  &trace_uprobe_file_fops);
	return 0;
}
fs_initcall(trace_uprobe_create_files);
