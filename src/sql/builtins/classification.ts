/**
 * The hand-kept half of the builtin catalogue: which builtins do more than compute a value.
 *
 * Every volatile builtin in the generated catalogue (pg-proc.ts) must appear here — either under a
 * class or in HARMLESS_VOLATILE with the reason it is harmless; test/sql/builtins.test.ts fails on
 * any that is left out, so a regenerated catalogue with new volatile functions forces a decision.
 * Non-volatile builtins are `safe` unless listed (table_to_xml and friends are stable yet run
 * queries the analyser cannot see).
 *
 * Entries ending in `*` are prefixes, expanded against the catalogue.
 */
import type { FunctionClass } from '../types.js';

/** The classes a builtin can be put in by hand (everything else is `safe` or, for non-builtins, `unknown`). */
export type HandClass = Exclude<FunctionClass, 'safe' | 'unknown'>;

export const BUILTIN_CLASSES: Readonly<Record<HandClass, readonly string[]>> = {
  // Change database or session state that a read-only caller would not expect.
  'side-effect': [
    'nextval',
    'setval',
    'pg_advisory_*',
    'pg_try_advisory_*',
    'pg_notify',
    // Index maintenance run on demand.
    'brin_summarize_new_values',
    'brin_summarize_range',
    'brin_desummarize_range',
    'gin_clean_pending_list',
    // Writes pg_extension.extconfig.
    'pg_extension_config_dump',
    // Overwrite planner statistics (PostgreSQL 18).
    'pg_restore_relation_stats',
    'pg_restore_attribute_stats',
    'pg_clear_relation_stats',
    'pg_clear_attribute_stats',
  ],
  // Server-level: other sessions, configuration, WAL, replication, statistics, upgrade internals.
  dangerous: [
    'pg_terminate_backend',
    'pg_cancel_backend',
    'pg_reload_conf',
    'pg_rotate_logfile',
    'pg_rotate_logfile_old',
    'pg_import_system_collations',
    'pg_create_physical_replication_slot',
    'pg_create_logical_replication_slot',
    'pg_copy_physical_replication_slot',
    'pg_copy_logical_replication_slot',
    'pg_drop_replication_slot',
    'pg_replication_slot_advance',
    'pg_sync_replication_slots',
    // Decoding a slot exposes every change in the database, whatever the caller's table privileges.
    'pg_logical_slot_get_changes',
    'pg_logical_slot_get_binary_changes',
    'pg_logical_slot_peek_changes',
    'pg_logical_slot_peek_binary_changes',
    'pg_replication_origin_*',
    'pg_logical_emit_message',
    'pg_log_standby_snapshot',
    'pg_promote',
    'pg_switch_wal',
    'pg_create_restore_point',
    'pg_wal_replay_pause',
    'pg_wal_replay_resume',
    'pg_backup_start',
    'pg_backup_stop',
    'pg_stat_reset*',
    'pg_log_backend_memory_contexts',
    'binary_upgrade_*',
    'pg_nextoid',
    'pg_stop_making_pinned_objects',
  ],
  // Server file system access (and the server's own configuration files).
  file: [
    'pg_read_file',
    'pg_read_file_old',
    'pg_read_binary_file',
    'pg_stat_file',
    'pg_ls_*',
    'pg_current_logfile',
    'pg_hba_file_rules',
    'pg_ident_file_mappings',
    'pg_show_all_file_settings',
  ],
  'large-object': ['lo_*', 'loread', 'lowrite'],
  // No builtin opens a connection; see EXTENSION_CLASSES.
  network: [],
  // Run a query given as a string (or fetch from a cursor, or read whole tables/schemas/databases
  // that the statement never names).
  'dynamic-sql': [
    'query_to_xml',
    'query_to_xmlschema',
    'query_to_xml_and_xmlschema',
    'cursor_to_xml',
    'cursor_to_xmlschema',
    'table_to_xml',
    'table_to_xmlschema',
    'table_to_xml_and_xmlschema',
    'schema_to_xml',
    'schema_to_xmlschema',
    'schema_to_xml_and_xmlschema',
    'database_to_xml',
    'database_to_xmlschema',
    'database_to_xml_and_xmlschema',
    'ts_stat',
    'ts_rewrite',
  ],
  config: ['set_config'],
};

/**
 * Volatile builtins that change nothing a caller could care about: each group says why. Listing them
 * (rather than defaulting volatile to safe) is what makes a new volatile builtin fail the test.
 */
export const HARMLESS_VOLATILE: readonly string[] = [
  // Randomness and wall-clock time.
  'random',
  'random_normal',
  'setseed', // seeds this session's random() only
  'array_sample',
  'array_shuffle',
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'pg_sleep',
  'pg_sleep_for',
  'pg_sleep_until',
  // Reading sequences, transactions, snapshots, locks and WAL positions.
  'currval',
  'lastval',
  'pg_sequence_last_value',
  'pg_get_sequence_data',
  'txid_status',
  'pg_xact_status',
  'pg_xact_commit_timestamp',
  'pg_xact_commit_timestamp_origin',
  'pg_last_committed_xact',
  'pg_export_snapshot',
  'pg_prepared_xact',
  'pg_lock_status',
  'pg_blocking_pids',
  'pg_safe_snapshot_blocking_pids',
  'pg_isolation_test_session_is_blocked',
  'pg_get_multixact_members',
  'pg_current_wal_lsn',
  'pg_current_wal_insert_lsn',
  'pg_current_wal_flush_lsn',
  'pg_last_wal_receive_lsn',
  'pg_last_wal_replay_lsn',
  'pg_last_xact_replay_timestamp',
  'pg_is_in_recovery',
  'pg_is_wal_replay_paused',
  'pg_get_wal_replay_pause_state',
  'pg_get_wal_resource_managers',
  'pg_available_wal_summaries',
  'pg_wal_summary_contents',
  'pg_get_wal_summarizer_state',
  'pg_show_replication_origin_status',
  'currtid2',
  // Sizes, partitions, collation versions and server introspection.
  'pg_database_size',
  'pg_relation_size',
  'pg_table_size',
  'pg_indexes_size',
  'pg_total_relation_size',
  'pg_tablespace_size',
  'pg_partition_tree',
  'pg_partition_ancestors',
  'pg_collation_actual_version',
  'pg_database_collation_actual_version',
  'pg_control_checkpoint',
  'pg_control_init',
  'pg_control_recovery',
  'pg_control_system',
  'pg_jit_available',
  'pg_notification_queue_usage',
  'pg_get_backend_memory_contexts',
  'pg_get_shmem_allocations',
  'pg_get_shmem_allocations_numa',
  'pg_get_aios',
  'pg_get_loaded_modules',
  'pg_get_wait_events',
  'current_query',
  // Statistics views: reading this transaction's counters, or flushing/clearing this backend's snapshot.
  'pg_stat_get_xact_*',
  'pg_stat_get_recovery_prefetch',
  'pg_stat_get_io',
  'pg_stat_get_backend_io',
  'pg_stat_get_backend_wal',
  'pg_stat_have_stats',
  'pg_stat_clear_snapshot',
  'pg_stat_force_next_flush',
  // Catalog checks and text search dictionaries.
  'amvalidate',
  'dsnowball_init',
  'dsnowball_lexize',
  // Not callable from SQL: trigger functions error unless fired by a trigger; handlers take `internal`.
  'RI_FKey_*',
  'suppress_redundant_updates_trigger',
  'tsvector_update_trigger',
  'tsvector_update_trigger_column',
  'unique_key_recheck',
  'bernoulli',
  'system',
  'brinhandler',
  'bthandler',
  'ginhandler',
  'gisthandler',
  'hashhandler',
  'heap_tableam_handler',
  'spghandler',
  'plpgsql_call_handler',
  'plpgsql_inline_handler',
  'plpgsql_validator',
];

/**
 * Functions of well-known extensions, classified whatever schema they were installed in (dblink
 * usually lives in `public`; adminpack installs into pg_catalog). They are not builtins.
 */
export const EXTENSION_CLASSES: Readonly<Partial<Record<HandClass, readonly string[]>>> = {
  network: ['dblink*', 'postgres_fdw_disconnect', 'postgres_fdw_disconnect_all', 'postgres_fdw_get_connections'],
  // adminpack.
  file: ['pg_file_write', 'pg_file_read', 'pg_file_rename', 'pg_file_unlink', 'pg_file_sync', 'pg_file_length', 'pg_logdir_ls'],
};
