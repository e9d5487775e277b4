/** Registers every addon driver this Freehold provides. */
import './postgres.js';
import './mariadb.js';
import './redis.js';
import './volume.js';
