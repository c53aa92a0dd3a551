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
 *   fault and sleep. They read up and its trace_probe without locks: a
 *   trace_uprobe is freed only after uprobe_unregister_sync() has waited for
 *   every handler that could still see its consumer.
 * - trace_uprobe_filter is protected by its rwlock; perf events are linked
 *   through their hw.tp_list while they are open.
 * - One hit fetches its arguments once, preemptible, into a per-CPU scratch
 *   buffer (guarded by a mutex since the task may sleep or migrate while
 *   reading user memory), then copies the record into the ftrace ring buffer
 *   and/or the perf buffer with preemption disabled. Nothing is allocated
 *   per hit.
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

#define UEV_DEFAULT_GROUP	"uprobes"

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
struct uev_record_head {
	struct trace_entry	ent;
	unsigned long		addr[];
};

static inline int uprobe_head_size(bool is_return)
{
	return sizeof(struct uev_record_head) +
	       (is_return ? 2 : 1) * sizeof(unsigned long);
}

static int uev_dynev_create(const char *raw_command);
static int uev_dynev_show(struct seq_file *m, struct dyn_event *ev);
static int uev_dynev_free(struct dyn_event *ev);
static bool uev_dynev_busy(struct dyn_event *ev);
static bool uev_dynev_match(const char *system, const char *event,
			    int argc, const char **argv,
			    struct dyn_event *ev);

static struct dyn_event_operations uev_dynev_ops = {
	.create = uev_dynev_create,
	.show = uev_dynev_show,
	.is_busy = uev_dynev_busy,
	.free = uev_dynev_free,
	.match = uev_dynev_match,
};

/**
 * struct trace_uprobe - one probe point of a uprobe event
 * @user_path:	the file path as written by the user; shown back verbatim
 * @fpath:	reference to the probed file, held for the definition's life
 * @foffset:	where in that file the probe sits
 * @refctr:	file offset of the USDT semaphore to bump, 0 if none
 * @handle:	what uprobe_register() returned; NULL while not planted
 * @cons:	our callbacks, handed to the uprobes core
 * @hits:	per-CPU hit counters for uprobe_profile
 * @dyn:	entry on the dynamic_events list
 * @probe:	the event, fetch arguments and record layout (must be last,
 *		its argument array is sized at allocation time)
 */
struct trace_uprobe {
	char				*user_path;
	struct path			fpath;
	unsigned long			foffset;
	unsigned long			refctr;
	struct uprobe			*handle;
	struct uprobe_consumer		cons;
	unsigned long __percpu		*hits;
	struct dyn_event		dyn;
	struct trace_probe		probe;
};

static bool dynev_is_uev(struct dyn_event *ev)
{
	return ev->ops == &uev_dynev_ops;
}

static struct trace_uprobe *dynev_to_uev(struct dyn_event *ev)
{
	return container_of(ev, struct trace_uprobe, dyn);
}

static inline bool uev_is_return(struct trace_uprobe *up)
{
	return !!up->cons.ret_handler;
}

static inline struct trace_uprobe_filter *
uev_filter(struct trace_uprobe *up)
{
	return up->probe.event->filter;
}

/* The first definition of the event behind @call */
static struct trace_uprobe *call_to_uev(struct trace_event_call *call)
{
	struct trace_probe *first = trace_probe_primary_from_call(call);

	return WARN_ON_ONCE(!first) ? NULL :
	       container_of(first, struct trace_uprobe, probe);
}

static unsigned long uev_hit_count(struct trace_uprobe *up)
{
	unsigned long nhits = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		nhits += *per_cpu_ptr(up->hits, cpu);

	return nhits;
}

static bool uev_dynev_busy(struct dyn_event *ev)
{
	return trace_probe_is_enabled(&dynev_to_uev(ev)->probe);
}

/*
 * "-:EVENT PATH:OFFSET args..." deletes only if the rest matches what
 * uprobe_events shows, so a line read back can be used to delete.
 */
static bool uev_match_place(struct trace_uprobe *up,
			    int argc, const char **argv)
{
	char buf[MAX_ARGSTR_LEN + 1];
	size_t len;

	if (!argc)
		return true;

	len = strlen(up->user_path);
	if (strncmp(up->user_path, argv[0], len) || argv[0][len] != ':')
		return false;

	if (up->refctr)
		snprintf(buf, sizeof(buf), "0x%016lx(0x%lx)",
			 up->foffset, up->refctr);
	else
		snprintf(buf, sizeof(buf), "0x%016lx", up->foffset);
	if (strcmp(buf, &argv[0][len + 1]))
		return false;

	return trace_probe_match_command_args(&up->probe, argc - 1, argv + 1);
}

static bool uev_dynev_match(const char *system, const char *event,
			    int argc, const char **argv,
			    struct dyn_event *ev)
{
	struct trace_uprobe *up = dynev_to_uev(ev);

	return (event[0] == '\0' ||
		strcmp(trace_probe_name(&up->probe), event) == 0) &&
	       (!system || strcmp(trace_probe_group_name(&up->probe), system) == 0) &&
	       uev_match_place(up, argc, argv);
}

/*
 * Per-CPU scratch buffers for fetching arguments. A hit fetches while
 * preemptible (reading user memory may fault), so the buffer is guarded by a
 * mutex rather than by staying on the CPU.
 */
struct uprobe_scratch {
	struct mutex	lock;	/* held while @buf is in use */
	void		*buf;
};

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
		if (!s->buf) {
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
 * user address; they run preemptible in that task and may fault pages in.
 */

/* Return the length of the string including the NUL, or 0 on a fault */
static nokprobe_inline int fetch_store_strlen_user(unsigned long addr)
{
	long len = strnlen_user((const char __user *)addr, MAX_STRING_SIZE);

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
	return copy_from_user(dest, (__force const void __user *)src, size) ?
	       -EFAULT : 0;
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
	if (copy_from_user(&val, addr, sizeof(val)))
		return 0;

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
static int uev_fetch_base(struct fetch_insn *code, struct pt_regs *regs,
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

	err = uev_fetch_base(code, rec, &val);
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
static void uev_filter_reset(struct trace_uprobe_filter *filter)
{
	INIT_LIST_HEAD(&filter->perf_events);
	filter->nr_systemwide = 0;
	rwlock_init(&filter->rwlock);
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

static bool uev_perf_wants_mm(struct trace_uprobe *up,
			      struct mm_struct *mm)
{
	struct trace_uprobe_filter *filter = uev_filter(up);
	bool ret;

	read_lock(&filter->rwlock);
	ret = filter_wants_mm_locked(filter, mm);
	read_unlock(&filter->rwlock);

	return ret;
}

/* The consumer's filter: should the core plant this probe in @mm? */
static bool uev_consumer_filter(struct uprobe_consumer *uc,
				struct mm_struct *mm)
{
	struct trace_uprobe *up = container_of(uc, struct trace_uprobe,
					       cons);

	if (trace_probe_test_flag(&up->probe, TP_FLAG_TRACE))
		return true;

	return uev_perf_wants_mm(up, mm);
}

/* Ask the core to re-evaluate the filter for every probe of an event */
static int uev_reapply_filter(struct trace_probe *tp, bool add)
{
	struct trace_uprobe *up;
	int ret;

	list_for_each_entry(up, trace_probe_probe_list(tp), probe.list) {
		if (!up->handle)
			continue;
		ret = uprobe_apply(up->handle, &up->cons, add);
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

static int uev_perf_unbind(struct trace_event_call *call,
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
		filter->nr_systemwide--;
	covered = filter_already_covers(tp, event);
	write_unlock(&filter->rwlock);

	if (!covered)
		uev_reapply_filter(tp, false);

	return 0;
}

static int uev_perf_bind(struct trace_event_call *call,
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
		filter->nr_systemwide++;
	write_unlock(&filter->rwlock);

	if (covered)
		return 0;

	ret = uev_reapply_filter(tp, true);
	if (ret)
		uev_perf_unbind(call, event);

	return ret;
}

/*
 * Registration with the uprobes core. Called under event_mutex.
 */
static int uev_plant(struct trace_uprobe *up)
{
	struct uprobe *uprobe;

	uprobe = uprobe_register(d_real_inode(up->fpath.dentry), up->foffset,
				 up->refctr, &up->cons);
	if (IS_ERR(uprobe))
		return PTR_ERR(uprobe);

	up->handle = uprobe;
	return 0;
}

/* Unregister every attached probe of @tp and wait for their handlers */
static void uev_unplant_all(struct trace_probe *tp)
{
	struct trace_uprobe *up;
	bool any = false;

	list_for_each_entry(up, trace_probe_probe_list(tp), probe.list) {
		if (!up->handle)
			continue;
		uprobe_unregister_nosync(up->handle, &up->cons);
		up->handle = NULL;
		any = true;
	}

	if (any)
		uprobe_unregister_sync();
}

/* Plant every probe of @tp; on failure none stays planted */
static int uev_plant_all(struct trace_probe *tp)
{
	struct trace_uprobe *up;
	int err = 0;

	list_for_each_entry(up, trace_probe_probe_list(tp), probe.list) {
		err = uev_plant(up);
		if (err) {
			uev_unplant_all(tp);
			break;
		}
	}
	return err;
}

/* Note @file (an ftrace instance) or perf (@file == NULL) as a user of @tp */
static int uev_add_user(struct trace_probe *tp, struct trace_event_file *file)
{
	if (!file) {
		trace_probe_set_flag(tp, TP_FLAG_PROFILE);
		return 0;
	}
	return trace_probe_add_file(tp, file);
}

/* Reverse of uev_add_user() */
static int uev_drop_user(struct trace_probe *tp, struct trace_event_file *file)
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
static int uev_enable(struct trace_event_call *call,
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

	err = uev_add_user(tp, file);
	if (err)
		return err;

	if (!was_active) {
		err = uprobe_scratch_hold();
		if (!err) {
			err = uev_plant_all(tp);
			if (err)
				uprobe_scratch_release();
		}
	} else if (file && !was_traced) {
		err = uev_reapply_filter(tp, true);
	}

	if (err)
		uev_drop_user(tp, file);
	return err;
}

static int uev_disable(struct trace_event_call *call,
		       struct trace_event_file *file)
{
	struct trace_probe *tp = trace_probe_primary_from_call(call);
	int err;

	lockdep_assert_held(&event_mutex);
	if (WARN_ON_ONCE(!tp))
		return -ENODEV;

	err = uev_drop_user(tp, file);
	if (err)
		return err;

	if (!trace_probe_is_enabled(tp)) {
		/* The last user left: take the probes out everywhere */
		uev_unplant_all(tp);
		uprobe_scratch_release();
	} else if (file && !trace_probe_test_flag(tp, TP_FLAG_TRACE)) {
		/* Only perf is left: drop the probes from unwanted mms */
		uev_reapply_filter(tp, false);
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

static void hit_fill_record(struct uev_record_head *rec,
			    struct uprobe_hit *hit)
{
	size_t addr_bytes = hit->hsize - sizeof(*rec);

	memcpy(rec->addr, hit->addr, addr_bytes);
	memcpy((u8 *)rec + hit->hsize, hit->data, hit->dsize);
}

/* Write one record to every ftrace instance the event is enabled in */
static void hit_to_ftrace(struct trace_uprobe *up, struct uprobe_hit *hit)
{
	struct trace_event_buffer tbuf;
	struct event_file_link *link;
	struct uev_record_head *rec;

	/* Ring buffer writers must not be preempted */
	guard(preempt)();
	guard(rcu)();
	trace_probe_for_each_link_rcu(link, &up->probe) {
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

static void hit_to_perf(struct trace_uprobe *up, struct uprobe_hit *hit)
{
	struct trace_event_call *call = trace_probe_event_call(&up->probe);
	struct hlist_head *events;
	struct uev_record_head *rec;
	int len, rctx;

	/* perf puts a u32 size in front and wants the sample u64 aligned */
	len = round_up(sizeof(u32) + hit->hsize + hit->dsize, sizeof(u64)) -
	      sizeof(u32);

	guard(preempt)();
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

/* Fetch the arguments of @up into the scratch buffer @buf */
static void hit_fetch_args(struct trace_uprobe *up, struct uprobe_hit *hit,
			   void *buf)
{
	int room = UPROBE_RECORD_MAX - hit->hsize - up->probe.size;
	int dsize;

	/* The fixed part of the largest definition always fits */
	BUILD_BUG_ON(UPROBE_RECORD_MAX <=
		     uprobe_head_size(true) + MAX_PROBE_EVENT_SIZE);

	dsize = min(__get_data_size(&up->probe, hit->regs, NULL), room);

	/*
	 * Arguments that fail to read are left untouched; clear them so a
	 * record never carries bytes from an earlier hit of another task.
	 */
	memset(buf, 0, up->probe.size + dsize);
	store_trace_args(buf, &up->probe, hit->regs, NULL, hit->hsize, dsize);

	hit->data = buf;
	hit->dsize = up->probe.size + dsize;
}

/*
 * Common to entry and return hits: count, filter, fetch once, emit.
 * current->utask->vaddr points to the uprobe_dispatch_data of this hit.
 */
static int uev_handle_hit(struct trace_uprobe *up, struct pt_regs *regs,
			  unsigned long ip, unsigned long ret_ip)
{
	unsigned int flags = trace_probe_load_flag(&up->probe);
	struct uprobe_scratch *scratch;
	struct uprobe_hit hit;
	bool to_perf = false;

	this_cpu_inc(*up->hits);

	/* If only perf uses the probe and not in this mm, the core drops it */
	if (flags & TP_FLAG_PROFILE) {
		if (uev_perf_wants_mm(up, current->mm))
			to_perf = hit_run_bpf(trace_probe_event_call(&up->probe),
					      regs);
		else if (!(flags & TP_FLAG_TRACE))
			return UPROBE_HANDLER_REMOVE;
	}
	if (!to_perf && !(flags & TP_FLAG_TRACE))
		return 0;

	hit.regs = regs;
	hit.addr[0] = ip;
	hit.addr[1] = ret_ip;
	hit.hsize = uprobe_head_size(uev_is_return(up));

	scratch = raw_cpu_ptr(uprobe_scratch);
	mutex_lock(&scratch->lock);
	hit_fetch_args(up, &hit, scratch->buf);

	if (flags & TP_FLAG_TRACE)
		hit_to_ftrace(up, &hit);
	if (to_perf)
		hit_to_perf(up, &hit);
	mutex_unlock(&scratch->lock);

	return 0;
}

/*
 * Handle a hit of @up at @func (the probed address; for a return probe the
 * function's).  While it runs, current->utask->vaddr points to a
 * uprobe_dispatch_data instead: @+FOFFS fetches and BPF's
 * bpf_get_func_ip() read both the probe and the address from there.
 */
static int uev_dispatch(struct trace_uprobe *up, struct pt_regs *regs,
			unsigned long func, unsigned long ret_ip)
{
	struct uprobe_task *utask = current->utask;
	struct uprobe_dispatch_data udd = { .tu = up, .bp_addr = func };
	int ret;

	utask->vaddr = (unsigned long)&udd;
	ret = uev_handle_hit(up, regs, func, ret_ip);
	utask->vaddr = func;
	return ret;
}

static int uev_entry_handler(struct uprobe_consumer *uc, struct pt_regs *regs)
{
	struct trace_uprobe *up = container_of(uc, struct trace_uprobe, cons);

	if (WARN_ON_ONCE(!current->utask))
		return 0;
	return uev_dispatch(up, regs, current->utask->vaddr, 0);
}

static int uev_return_handler(struct uprobe_consumer *uc,
			      unsigned long func, struct pt_regs *regs)
{
	struct trace_uprobe *up = container_of(uc, struct trace_uprobe, cons);
	unsigned long saved;

	if (WARN_ON_ONCE(!current->utask))
		return 0;
	/* Return handlers run outside a hit: keep whatever vaddr held. */
	saved = current->utask->vaddr;
	uev_dispatch(up, regs, func, instruction_pointer(regs));
	current->utask->vaddr = saved;
	return 0;
}

/*
 * Output: trace text and event format.
 */
static enum print_line_t
uev_print_record(struct trace_iterator *iter, int flags,
		 struct trace_event *event)
{
	struct uev_record_head *rec = (struct uev_record_head *)iter->ent;
	struct trace_event_call *call;
	struct trace_seq *s = &iter->seq;
	struct trace_uprobe *up;
	int naddr;

	call = container_of(event, struct trace_event_call, event);
	up = call_to_uev(call);
	if (unlikely(!up))
		return trace_handle_return(s);

	naddr = uev_is_return(up) ? 2 : 1;
	if (naddr == 2)
		trace_seq_printf(s, "%s: (0x%lx <- 0x%lx)",
				 trace_probe_name(&up->probe),
				 rec->addr[1], rec->addr[0]);
	else
		trace_seq_printf(s, "%s: (0x%lx)",
				 trace_probe_name(&up->probe), rec->addr[0]);

	/* A record whose arguments cannot be shown ends without a newline */
	if (trace_probe_print_args(s, up->probe.args, up->probe.nr_args,
				   (u8 *)&rec->addr[naddr], rec) >= 0)
		trace_seq_putc(s, '\n');

	return trace_handle_return(s);
}

static int uev_define_fields(struct trace_event_call *call)
{
	size_t base = offsetof(struct uev_record_head, addr);
	struct trace_uprobe *up;
	int ret;

	up = call_to_uev(call);
	if (unlikely(!up))
		return -ENOENT;

	if (uev_is_return(up)) {
		ret = trace_define_field(call, "unsigned long",
					 FIELD_STRING_FUNC, base,
					 sizeof(unsigned long), 0,
					 FILTER_OTHER);
		if (!ret)
			ret = trace_define_field(call, "unsigned long",
						 FIELD_STRING_RETIP,
						 base + sizeof(unsigned long),
						 sizeof(unsigned long), 0,
						 FILTER_OTHER);
	} else {
		ret = trace_define_field(call, "unsigned long",
					 FIELD_STRING_IP, base,
					 sizeof(unsigned long), 0,
					 FILTER_OTHER);
	}
	if (ret)
		return ret;

	return traceprobe_define_arg_fields(call,
					    uprobe_head_size(uev_is_return(up)),
					    &up->probe);
}

/*
 * Called by perf_trace_init()/perf_uprobe_init() or
 * __ftrace_set_clr_event(), all under event_mutex.
 */
static int uev_reg_callback(struct trace_event_call *call,
			    enum trace_reg type, void *data)
{
	switch (type) {
	case TRACE_REG_PERF_OPEN:
		return uev_perf_bind(call, data);
	case TRACE_REG_PERF_CLOSE:
		return uev_perf_unbind(call, data);
	case TRACE_REG_REGISTER:
	case TRACE_REG_PERF_REGISTER:
		/* @data is the ftrace instance's file; perf passes no file */
		return uev_enable(call, type == TRACE_REG_REGISTER ? data : NULL);
	case TRACE_REG_UNREGISTER:
	case TRACE_REG_PERF_UNREGISTER:
		return uev_disable(call,
				   type == TRACE_REG_UNREGISTER ? data : NULL);
	default:
		/* PERF_ADD/PERF_DEL: perf schedules by itself, nothing to do */
		return 0;
	}
}

static struct trace_event_functions uev_output_funcs = {
	.trace		= uev_print_record
};

static struct trace_event_fields uev_fields[] = {
	{ .type = TRACE_FUNCTION_TYPE,
	  .define_fields = uev_define_fields },
	{}
};

static void uev_setup_call(struct trace_uprobe *up)
{
	struct trace_event_call *call = trace_probe_event_call(&up->probe);

	call->event.funcs = &uev_output_funcs;
	call->class->fields_array = uev_fields;
	/*
	 * A record only holds what the probed task could read itself, so a
	 * user may sample it from its own tasks without perf_allow_tracepoint().
	 */
	call->flags = TRACE_EVENT_FL_UPROBE | TRACE_EVENT_FL_CAP_ANY;
	call->class->reg = uev_reg_callback;
}

/*
 * Definition life cycle.
 */
static void uev_free(struct trace_uprobe *up)
{
	if (!up)
		return;

	path_put(&up->fpath);
	trace_probe_cleanup(&up->probe);
	kfree(up->user_path);
	free_percpu(up->hits);
	kfree(up);
}

static struct trace_uprobe *uev_alloc(const char *group,
				      const char *event, int nargs,
				      bool is_ret)
{
	struct trace_uprobe *up;
	int ret;

	up = kzalloc(struct_size(up, probe.args, nargs), GFP_KERNEL);
	if (!up)
		return ERR_PTR(-ENOMEM);

	up->hits = alloc_percpu(unsigned long);
	if (!up->hits) {
		ret = -ENOMEM;
		goto error;
	}

	ret = trace_probe_init(&up->probe, event, group, true, nargs);
	if (ret < 0)
		goto error;

	uev_filter_reset(uev_filter(up));
	if (is_ret)
		up->cons.ret_handler = uev_return_handler;
	else
		up->cons.handler = uev_entry_handler;
	up->cons.filter = uev_consumer_filter;
	dyn_event_init(&up->dyn, &uev_dynev_ops);

	return up;

error:
	uev_free(up);
	return ERR_PTR(ret);
}

static struct trace_uprobe *uev_lookup(const char *event,
				       const char *group)
{
	struct trace_uprobe *up;
	struct dyn_event *pos;

	for_each_dyn_event(pos) {
		if (!dynev_is_uev(pos))
			continue;
		up = dynev_to_uev(pos);
		if (strcmp(trace_probe_name(&up->probe), event) == 0 &&
		    strcmp(trace_probe_group_name(&up->probe), group) == 0)
			return up;
	}

	return NULL;
}

/* Unregister a definition; the event goes with its last probe */
static int uev_unlink(struct trace_uprobe *up)
{
	struct trace_probe *tp = &up->probe;

	/* A sibling may go while the event is in use; detach it alone */
	if (trace_probe_has_sibling(tp)) {
		if (up->handle) {
			uprobe_unregister_nosync(up->handle, &up->cons);
			uprobe_unregister_sync();
			up->handle = NULL;
		}
		goto unlink;
	}

	if (trace_probe_is_enabled(tp))
		return -EBUSY;

	if (trace_event_dyn_busy(trace_probe_event_call(tp)))
		return -EBUSY;

	/* Fails if the event is still in use by ftrace or perf */
	if (trace_probe_unregister_event_call(tp))
		return -EBUSY;

unlink:
	dyn_event_remove(&up->dyn);
	trace_probe_unlink(tp);
	return 0;
}

static bool uev_duplicates(struct trace_uprobe *orig,
			   struct trace_uprobe *comp)
{
	struct trace_probe_event *tpe = orig->probe.event;
	struct inode *comp_inode = d_real_inode(comp->fpath.dentry);
	int i;

	list_for_each_entry(orig, &tpe->probes, probe.list) {
		if (comp_inode != d_real_inode(orig->fpath.dentry) ||
		    comp->foffset != orig->foffset)
			continue;

		/*
		 * trace_probe_compare_arg_type() ensured that nr_args and
		 * each argument name and type are the same; compare the
		 * fetch commands too.
		 */
		for (i = 0; i < orig->probe.nr_args; i++) {
			if (strcmp(orig->probe.args[i].comm,
				   comp->probe.args[i].comm))
				break;
		}

		if (i == orig->probe.nr_args)
			return true;
	}

	return false;
}

/* Add @up as one more probe of the existing event of @first */
static int uev_append(struct trace_uprobe *up, struct trace_uprobe *first)
{
	int mismatch, err;

	mismatch = trace_probe_compare_arg_type(&up->probe, &first->probe);
	if (mismatch) {
		/* The log counts the command word and the place before args */
		trace_probe_log_set_index(mismatch + 1);
		trace_probe_log_err(0, DIFF_ARG_TYPE);
		return -EEXIST;
	}
	if (uev_duplicates(first, up)) {
		trace_probe_log_set_index(0);
		trace_probe_log_err(0, SAME_PROBE);
		return -EEXIST;
	}

	err = trace_probe_append(&up->probe, &first->probe);
	/* A live event needs the new probe planted right away */
	if (!err && trace_probe_is_enabled(&up->probe)) {
		err = uev_plant(up);
		if (err)
			trace_probe_unlink(&up->probe);
	}
	if (!err)
		dyn_event_add(&up->dyn, trace_probe_event_call(&up->probe));
	return err;
}

/*
 * Make @up visible: as a new event, or as one more probe of the event of
 * the same GRP/EVENT if that exists and is of the same kind.
 */
static int uev_publish(struct trace_uprobe *up)
{
	struct trace_uprobe *first;
	int err;

	guard(mutex)(&event_mutex);

	first = uev_lookup(trace_probe_name(&up->probe),
			   trace_probe_group_name(&up->probe));
	if (first && uev_is_return(first) != uev_is_return(up)) {
		trace_probe_log_set_index(0);
		trace_probe_log_err(0, DIFF_PROBE_TYPE);
		return -EEXIST;
	}
	if (first)
		return uev_append(up, first);

	uev_setup_call(up);
	err = trace_probe_register_event_call(&up->probe);
	if (err == -EEXIST) {
		/* The name belongs to an event of another kind */
		trace_probe_log_set_index(0);
		trace_probe_log_err(0, EVENT_EXIST);
		return err;
	}
	if (err) {
		pr_warn("Failed to register probe event(%d)\n", err);
		return err;
	}

	dyn_event_add(&up->dyn, trace_probe_event_call(&up->probe));
	return 0;
}

/* Where a definition probes, as parsed from "PATH:OFFSET..." */
struct uev_place {
	char		*spec;		/* PATH once parsed; kmalloc()ed */
	struct path	fpath;
	unsigned long	foffset;
	unsigned long	refctr;
	bool		is_return;
};

/*
 * Take a reference on the regular file at @name. Errors go to the error log
 * only for uprobe_events commands (@log): perf's local events have none.
 */
static int uev_pin_file(const char *name, struct path *fpath, bool log)
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

/*
 * Allocate a definition for @pl and move @pl's file reference and string
 * into it; on failure they are dropped, so @pl is consumed either way.
 */
static struct trace_uprobe *uev_new_at(struct uev_place *pl,
				       const char *group, const char *event,
				       int nargs)
{
	struct trace_uprobe *up = uev_alloc(group, event, nargs, pl->is_return);

	if (IS_ERR(up)) {
		path_put(&pl->fpath);
		kfree(pl->spec);
		return up;
	}
	up->user_path = pl->spec;
	up->fpath = pl->fpath;
	up->foffset = pl->foffset;
	up->refctr = pl->refctr;
	return up;
}

static int uev_set_print_fmt(struct trace_uprobe *up)
{
	int err;

	err = traceprobe_set_print_fmt(&up->probe, uev_is_return(up) ?
				       PROBE_PRINT_RETURN : PROBE_PRINT_NORMAL);
	return err < 0 ? err : 0;
}

/*
 * "(REF_CTR_OFFSET)" starting at @open. It must end the place, so that
 * "%return" can only come before it. Carets are relative to @spec.
 */
static int parse_refctr(const char *spec, char *open, unsigned long *refctr)
{
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
static int parse_probe_place(struct uev_place *pl)
{
	char *spec = pl->spec;
	char *num = strrchr(spec, ':') + 1;
	char *open, *pct;
	int err;

	num[-1] = '\0';

	open = strchr(num, '(');
	if (open) {
		err = parse_refctr(spec, open, &pl->refctr);
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

	if (kstrtoul(num, 0, &pl->foffset)) {
		trace_probe_log_err(num - spec, BAD_UPROBE_OFFS);
		return -EINVAL;
	}
	return 0;
}

/* Parse and pin the place argument @arg; errors are logged against it */
static int uev_resolve_place(const char *arg, struct uev_place *pl)
{
	int err;

	trace_probe_log_set_index(1);
	pl->spec = kstrdup(arg, GFP_KERNEL);
	if (!pl->spec)
		return -ENOMEM;

	err = parse_probe_place(pl);
	if (!err)
		err = uev_pin_file(pl->spec, &pl->fpath, true);
	if (err)
		kfree(pl->spec);
	return err;
}

/* Parse the fetch arguments, which follow the command word and the place */
static int uev_parse_args(struct trace_uprobe *up, int argc, const char **argv)
{
	struct traceprobe_parse_context ctx = {
		.flags = TPARG_FL_USER |
			 (uev_is_return(up) ? TPARG_FL_RETURN : 0),
	};
	int n, err = 0;

	for (n = 0; n < argc && !err; n++) {
		trace_probe_log_set_index(n + 2);
		ctx.offset = 0;
		err = traceprobe_parse_probe_arg(&up->probe, n, argv[n], &ctx);
	}
	traceprobe_finish_parse(&ctx);

	return err ? err : uev_set_print_fmt(up);
}

/*
 * dynamic_events offers every command to every provider. Ours start with
 * 'p' or 'r' and name a place with a '/' in its path and a ':' before its
 * offset; "r10" is a kretprobe with maxactive and "[MOD:]SYM" a kprobe.
 */
static bool uev_claims_command(int argc, const char **argv)
{
	const char *cmd = argv[0];

	if (cmd[0] != 'p' && cmd[0] != 'r')
		return false;
	if (cmd[1] != '\0' && cmd[1] != ':')
		return false;
	return argc >= 2 && strchr(argv[1], '/') && strchr(argv[1], ':');
}

/* Build and publish a definition at @pl; consumes @pl */
static int uev_build(int argc, const char **argv, struct uev_place *pl)
{
	const char *group = UEV_DEFAULT_GROUP;
	char gbuf[MAX_EVENT_NAME_LEN];
	char nbuf[MAX_EVENT_NAME_LEN];
	struct trace_uprobe *up;
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
		sanitize_event_name(nbuf);
		event = nbuf;
	}

	if (argc - 2 > MAX_TRACE_ARGS) {
		err = -E2BIG;
		goto drop_place;
	}

	up = uev_new_at(pl, group, event, argc - 2);
	if (IS_ERR(up))
		return PTR_ERR(up);

	err = uev_parse_args(up, argc - 2, argv + 2);
	if (!err)
		err = uev_publish(up);
	if (err)
		uev_free(up);
	return err;

drop_place:
	path_put(&pl->fpath);
	kfree(pl->spec);
	return err;
}

/*
 * Definition commands, after trace_probe_create() split them:
 *	p[:[GRP/|GRP.][EVENT]] PATH:OFFSET[%return][(REF)] [FETCHARGS]
 *	r[:[GRP/|GRP.][EVENT]] PATH:OFFSET[(REF)] [FETCHARGS]
 * Deletions ("-:...") never get here; dyn_event_release() handles them.
 */
static int uev_parse_define(int argc, const char **argv)
{
	struct uev_place pl = { };
	int err;

	if (!uev_claims_command(argc, argv))
		return -ECANCELED;

	trace_probe_log_init("trace_uprobe", argc, argv);
	pl.is_return = argv[0][0] == 'r';
	err = uev_resolve_place(argv[1], &pl);
	if (!err)
		err = uev_build(argc, argv, &pl);
	trace_probe_log_clear();
	return err;
}

static int uev_dynev_create(const char *raw_command)
{
	return trace_probe_create(raw_command, uev_parse_define);
}

static int uev_run_command(const char *raw_command)
{
	int ret;

	if (raw_command[0] == '-')
		return dyn_event_release(raw_command, &uev_dynev_ops);

	ret = dyn_event_create(raw_command, &uev_dynev_ops);
	return ret == -ECANCELED ? -EINVAL : ret;
}

static int uev_dynev_free(struct dyn_event *ev)
{
	struct trace_uprobe *up = dynev_to_uev(ev);
	int ret = uev_unlink(up);

	if (!ret)
		uev_free(up);
	return ret;
}

static int uev_dynev_show(struct seq_file *m, struct dyn_event *ev)
{
	struct trace_uprobe *up = dynev_to_uev(ev);
	int i;

	/* libtracefs parses the zero-padded offset */
	seq_printf(m, "%c:%s/%s %s:0x%016lx", uev_is_return(up) ? 'r' : 'p',
		   trace_probe_group_name(&up->probe), trace_probe_name(&up->probe),
		   up->user_path, up->foffset);

	if (up->refctr)
		seq_printf(m, "(0x%lx)", up->refctr);

	for (i = 0; i < up->probe.nr_args; i++)
		seq_printf(m, " %s=%s", up->probe.args[i].name,
			   up->probe.args[i].comm);

	seq_putc(m, '\n');
	return 0;
}

/*
 * tracefs files: uprobe_events and uprobe_profile.
 */
static int uev_events_show(struct seq_file *m, void *v)
{
	struct dyn_event *ev = v;

	if (!dynev_is_uev(ev))
		return 0;

	return uev_dynev_show(m, ev);
}

static const struct seq_operations uev_events_seq_ops = {
	.show	= uev_events_show,
	.start	= dyn_event_seq_start,
	.next	= dyn_event_seq_next,
	.stop	= dyn_event_seq_stop,
};

/*
 * Both files are seq_files over the dynamic event list. Opening
 * uprobe_events for writing with O_TRUNC first deletes all our events,
 * which fails with -EBUSY while any of them is in use.
 */
static int uev_seq_open(struct file *file, const struct seq_operations *ops,
			bool truncates)
{
	int err = security_locked_down(LOCKDOWN_TRACEFS);

	if (!err && truncates && (file->f_mode & FMODE_WRITE) &&
	    (file->f_flags & O_TRUNC))
		err = dyn_events_release_all(&uev_dynev_ops);

	return err ? err : seq_open(file, ops);
}

static int uev_events_open(struct inode *inode, struct file *file)
{
	return uev_seq_open(file, &uev_events_seq_ops, true);
}

static ssize_t uev_events_write(struct file *file, const char __user *buffer,
				size_t count, loff_t *ppos)
{
	return trace_parse_run_command(file, buffer, count, ppos,
				       uev_run_command);
}

static const struct file_operations uev_events_fops = {
	.open		= uev_events_open,
	.write		= uev_events_write,
	.read		= seq_read,
	.release	= seq_release,
	.llseek		= seq_lseek,
	.owner		= THIS_MODULE,
};

static int uev_profile_show(struct seq_file *m, void *v)
{
	struct dyn_event *ev = v;
	struct trace_uprobe *up;

	if (!dynev_is_uev(ev))
		return 0;

	up = dynev_to_uev(ev);
	seq_printf(m, "  %s %-44s %15lu\n", up->user_path,
		   trace_probe_name(&up->probe), uev_hit_count(up));
	return 0;
}

static const struct seq_operations uev_profile_seq_ops = {
	.show	= uev_profile_show,
	.start	= dyn_event_seq_start,
	.next	= dyn_event_seq_next,
	.stop	= dyn_event_seq_stop,
};

static int uev_profile_open(struct inode *inode, struct file *file)
{
	return uev_seq_open(file, &uev_profile_seq_ops, false);
}

static const struct file_operations uev_profile_fops = {
	.open		= uev_profile_open,
	.read		= seq_read,
	.release	= seq_release,
	.llseek		= seq_lseek,
	.owner		= THIS_MODULE,
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
	struct trace_uprobe *up;

	mutex_lock(&event_mutex);
	up = call_to_uev(event->tp_event);
	if (up) {
		*fd_type = uev_is_return(up) ? BPF_FD_TYPE_URETPROBE :
					      BPF_FD_TYPE_UPROBE;
		*filename = up->user_path;
		*probe_offset = up->foffset;
		*probe_addr = 0;
	}
	mutex_unlock(&event_mutex);

	return up ? 0 : -EINVAL;
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
	struct uev_place pl = {
		.foffset	= offs,
		.refctr		= ref_ctr_offset,
		.is_return	= is_return,
	};
	struct trace_uprobe *up;
	int err;

	pl.spec = kstrdup(name, GFP_KERNEL);
	if (!pl.spec)
		return ERR_PTR(-ENOMEM);

	err = uev_pin_file(pl.spec, &pl.fpath, false);
	if (err) {
		kfree(pl.spec);
		return ERR_PTR(err);
	}

	up = uev_new_at(&pl, UEV_DEFAULT_GROUP, "DUMMY_EVENT", 0);
	if (IS_ERR(up))
		return ERR_CAST(up);

	uev_setup_call(up);
	err = uev_set_print_fmt(up);
	if (err) {
		uev_free(up);
		return ERR_PTR(err);
	}
	return trace_probe_event_call(&up->probe);
}

/**
 * destroy_local_trace_uprobe - free an event from create_local_trace_uprobe()
 * @event_call: the event; perf has already disabled and closed it
 */
void destroy_local_trace_uprobe(struct trace_event_call *event_call)
{
	struct trace_uprobe *up;

	up = call_to_uev(event_call);
	if (unlikely(!up))
		return;

	/* perf_trace_event_unreg() disabled it, which waited for handlers */
	if (WARN_ON_ONCE(trace_probe_is_enabled(&up->probe)))
		return;

	uev_free(up);
}

/*
 * Register dynevent at core_initcall so that "dynamic_events" knows us as
 * early as kprobes; the tracefs files come with fs_initcall.
 */
static __init int uev_dynev_init(void)
{
	return dyn_event_register(&uev_dynev_ops);
}
core_initcall(uev_dynev_init);

static __init int uev_tracefs_init(void)
{
	if (tracing_init_dentry())
		return 0;

	trace_create_file("uprobe_events", TRACE_MODE_WRITE, NULL,
			  NULL, &uev_events_fops);
	trace_create_file("uprobe_profile", TRACE_MODE_READ, NULL,
			  NULL, &uev_profile_fops);
	return 0;
}
fs_initcall(uev_tracefs_init);
