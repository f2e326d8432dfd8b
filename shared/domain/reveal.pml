/*
 * The show-once reveal, as a Promela model checked exhaustively by spin (reliability/model.ts runs it
 * for N = 2, 3 and 4 requesters). Each step names the code it stands for:
 *
 *   READ      service.ts revealKey: getKey (consistent read); no display copy -> 410
 *   DECRYPT   service.ts revealKey: envelope.open (KMS); may fail or the process may crash: nothing changed
 *   COMMIT    store.ts commitRevealOnce: one conditional UpdateItem, condition
 *             attribute_exists(displayCiphertext), sets revealId; DynamoDB applies it atomically or not
 *   OUTCOME   store.ts commitRevealOnce: acknowledged | condition failed (ALL_OLD item returned) |
 *             refused before applying (conflict, throttle) | unknown (timeout/reset after it may have applied)
 *   SDK RETRY the SDK re-sends a request whose answer was lost: a retry of an applied commit fails its own
 *             condition, and the returned item carries our revealId (store.ts commitReveal: revealId === ours)
 *   READBACK  store.ts commitReveal: on unknown, read the key: our revealId -> committed; display copy still
 *             there -> retry the commit (bounded); gone with another id -> 410 naming the winner
 *   RESPOND   service.ts revealKey: only a committed reveal returns the secret; the process may crash first
 */

#ifndef N
#define N 3
#endif
#define NOBODY 255
#define RETRIES 2

bool display = true;          /* the display copy is on the key item */
byte winner = NOBODY;         /* revealId stored by the commit that applied */
byte secrets = 0;             /* responses that carried the secret */
bool told410[N];              /* requester i was answered "Key no longer viewable" */
bool lostAfterCommit = false;   /* a committed reveal whose response never reached its caller */

/* One conditional write: applies iff the display copy is there. Atomic, as DynamoDB makes it. */
inline commit(me, applied) {
  atomic {
    if
    :: display -> display = false; winner = me; applied = true
    :: else -> applied = false
    fi
  }
}

proctype Requester(byte me) {
  bool applied;
  byte attempt = 0;
  bool committed = false;

  /* READ */
  if
  :: !display -> told410[me] = true; goto done
  :: else -> skip
  fi;

  /* DECRYPT: KMS may fail, or the process crash, before anything is written */
  if
  :: true -> skip
  :: true -> goto done   /* 503 or crash: the key is untouched */
  fi;

retry:
  /* COMMIT and its OUTCOME */
  if
  :: atomic { !display -> applied = false }   /* refused: condition failed, item returned */
     if
     :: winner == me -> committed = true      /* our own earlier attempt (SDK RETRY) */
     :: else -> told410[me] = true; goto done
     fi
  :: commit(me, applied);
     if
     :: applied -> committed = true           /* acknowledged */
     :: applied -> skip                       /* applied, answer lost: unknown */
     :: !applied -> skip                      /* refused before applying (conflict, throttle), or unknown */
     fi;
     if
     :: !committed ->
        /* READBACK */
        if
        :: winner == me -> committed = true
        :: winner != me && display && attempt < RETRIES -> attempt++; goto retry
        :: winner != me && display && attempt >= RETRIES -> goto done    /* 503: still viewable */
        :: winner != me && !display -> told410[me] = true; goto done
        :: true ->                            /* the read-back itself failed: 503 "could not confirm" */
           if
           :: winner == me -> lostAfterCommit = true
           :: else -> skip
           fi;
           goto done
        fi
     :: else -> skip
     fi
  fi;

  /* RESPOND */
  if
  :: committed ->
     if
     :: true -> secrets++
     :: true -> lostAfterCommit = true      /* the process died between commit and response */
     fi
  :: else -> skip
  fi;

done:
  /* Never two secrets; the committed winner is never told "already viewed". */
  assert(secrets <= 1);
  assert(!(told410[me] && winner == me))
}

init {
  byte i;
  atomic {
    for (i : 0 .. N - 1) { run Requester(i) }
  }
  (_nr_pr == 1);
  /* Never unviewable without a committed reveal; the secret was returned, unless the winner crashed. */
  assert(display || winner != NOBODY);
  assert(display || secrets == 1 || lostAfterCommit)
}
