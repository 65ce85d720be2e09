/*
 * test-options.c — the mount-option table (schema/options.def): words map
 * to the right MOUNT_ATTR_* and propagation bits, every contradiction group
 * pairs words with different effects, and per-type data keys are checked.
 */
#include <string.h>
#include <sys/mount.h>

#include "options.h"
#include "tap.h"

int main(void)
{
	const struct mount_option *o;
	const struct fs_type *fs;
	int bad_groups = 0, dup_words = 0;

	tap_plan(0);
	o = options_lookup("ro");
	CHECK(o && o->kind == OPT_ATTR && o->attr_set == MOUNT_ATTR_RDONLY && o->attr_clr == 0, "ro sets RDONLY");
	o = options_lookup("rw");
	CHECK(o && o->attr_set == 0 && o->attr_clr == MOUNT_ATTR_RDONLY, "rw clears RDONLY");
	o = options_lookup("noatime");
	CHECK(o && o->attr_set == MOUNT_ATTR_NOATIME && o->attr_clr == MOUNT_ATTR__ATIME, "noatime sets NOATIME in the atime field");
	o = options_lookup("relatime");
	CHECK(o && o->attr_set == MOUNT_ATTR_RELATIME && o->attr_clr == MOUNT_ATTR__ATIME, "relatime clears the atime field");
	o = options_lookup("nosymfollow");
	CHECK(o && o->attr_set == MOUNT_ATTR_NOSYMFOLLOW, "nosymfollow");
	o = options_lookup("rshared");
	CHECK(o && o->kind == OPT_PROPAGATION && o->propagation == MS_SHARED && o->recursive, "rshared is recursive MS_SHARED");
	o = options_lookup("slave");
	CHECK(o && o->propagation == MS_SLAVE && !o->recursive, "slave is MS_SLAVE");
	o = options_lookup("runbindable");
	CHECK(o && o->propagation == MS_UNBINDABLE && o->recursive, "runbindable");
	o = options_lookup("rbind");
	CHECK(o && o->kind == OPT_RECURSIVE, "rbind makes a bind recursive");
	CHECK(options_lookup("mode=1777") == NULL, "mode=1777 is data, not an option word");
	CHECK(options_lookup("lowerdir=/x") == NULL, "lowerdir= is not in the table");

	/* Two words of one group must differ in effect, else the group means nothing. */
	for (size_t i = 0; i < options_count; i++)
		for (size_t j = i + 1; j < options_count; j++) {
			const struct mount_option *a = &options_table[i], *b = &options_table[j];
			if (strcmp(a->word, b->word) == 0)
				dup_words++;
			if (a->group && a->group == b->group && a->kind == OPT_ATTR &&
			    a->attr_set == b->attr_set && a->attr_clr == b->attr_clr)
				bad_groups++;
		}
	CHECK_INT(dup_words, 0, "every option word appears once");
	CHECK_INT(bad_groups, 0, "words in one contradiction group have different effects");

	fs = options_fs_type("tmpfs");
	CHECK(fs && fs->fs_class == FS_VIRTUAL, "tmpfs is virtual");
	CHECK(fs && options_fs_accepts(fs, "mode=1777"), "tmpfs takes mode=");
	CHECK(fs && options_fs_accepts(fs, "size=64m"), "tmpfs takes size=");
	CHECK(fs && options_fs_accepts(fs, "noswap"), "tmpfs takes the flag noswap");
	CHECK(fs && !options_fs_accepts(fs, "noswap=1"), "a flag does not take a value");
	CHECK(fs && !options_fs_accepts(fs, "mode"), "a value key needs its value");
	CHECK(fs && !options_fs_accepts(fs, "hidepid=2"), "tmpfs does not take hidepid=");
	CHECK(fs && !options_fs_accepts(fs, "=x"), "an empty key is refused");
	fs = options_fs_type("proc");
	CHECK(fs && options_fs_accepts(fs, "hidepid=invisible") && options_fs_accepts(fs, "subset=pid"), "proc: hidepid, subset");
	fs = options_fs_type("devpts");
	CHECK(fs && options_fs_accepts(fs, "newinstance") && options_fs_accepts(fs, "ptmxmode=0666"), "devpts: newinstance, ptmxmode");
	fs = options_fs_type("cgroup2");
	CHECK(fs && options_fs_accepts(fs, "nsdelegate") && options_fs_accepts(fs, "memory_recursiveprot"), "cgroup2 flags");
	fs = options_fs_type("overlay");
	CHECK(fs && fs->fs_class == FS_OVERLAY && options_fs_accepts(fs, "redirect_dir=on") && options_fs_accepts(fs, "userxattr") &&
		      options_fs_accepts(fs, "volatile"),
	      "overlay data keys");
	fs = options_fs_type("ext4");
	CHECK(fs && fs->fs_class == FS_BLOCK && options_fs_accepts(fs, "noload") && options_fs_accepts(fs, "errors=remount-ro"),
	      "ext4 data keys");
	fs = options_fs_type("nfs");
	CHECK(fs && fs->fs_class == FS_HELPER && options_fs_accepts(fs, "vers=4.2") && options_fs_accepts(fs, "whatever"),
	      "nfs accepts anything (the helper checks)");
	fs = options_fs_type("fuse.sshfs");
	CHECK(fs && fs->fs_class == FS_HELPER && options_fs_accepts(fs, "reconnect"), "fuse.sshfs is a helper type");
	CHECK(options_fs_type("fuse.") == NULL, "fuse. without a subtype is unknown");
	CHECK(options_fs_type("fuse") == NULL, "bare fuse is unknown");
	CHECK_INT(options_fs_class("zfs"), FS_UNKNOWN, "zfs is unknown");
	CHECK_INT(options_fs_class("rbind"), FS_BIND, "rbind is a bind");
	CHECK(options_fs_type("bind") && !options_fs_accepts(options_fs_type("bind"), "mode=1"), "bind takes no data");
	return tap_done();
}
