"""Train a Double DQN agent on a gymnasium environment, written against ChainerRL's API.

Apart from its import lines this is a ChainerRL 0.8 script: the agent, explorer, replay buffer
and training loop are ChainerRL's, here from kusari-rl. It writes ChainerRL's ``scores.txt`` and a
Kusari ``log`` into ``--outdir/<time>``, which kusari-ui plots (``kusari-ui server --root
results``).

    python examples/rl/train_dqn_gym.py --env CartPole-v1 --steps 50000
"""

import argparse
import sys

import gymnasium as gym

import kusari_rl as chainerrl
from kusari import optimizers


def make_env(env_id, seed, test):
    env = gym.make(env_id)
    env.reset(seed=2**32 - 1 - seed if test else seed)
    env.action_space.seed(seed)
    return chainerrl.wrappers.CastObservationToFloat32(env)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--env", default="CartPole-v1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gpu", type=int, default=-1)
    parser.add_argument("--outdir", default="results")
    parser.add_argument("--steps", type=int, default=50000)
    parser.add_argument("--eval-n-runs", type=int, default=10)
    parser.add_argument("--eval-interval", type=int, default=2500)
    parser.add_argument("--replay-start-size", type=int, default=1000)
    args = parser.parse_args(argv)

    chainerrl.misc.set_random_seed(args.seed, gpus=(args.gpu,))
    args.outdir = chainerrl.experiments.prepare_output_dir(args, args.outdir, argv=sys.argv)
    print(f"Output files are saved in {args.outdir}")

    env = make_env(args.env, args.seed, test=False)
    eval_env = make_env(args.env, args.seed, test=True)
    obs_size = env.observation_space.low.size
    n_actions = env.action_space.n

    q_func = chainerrl.q_functions.FCStateQFunctionWithDiscreteAction(
        obs_size, n_actions, n_hidden_channels=128, n_hidden_layers=2
    )
    opt = optimizers.Adam(alpha=2.3e-3)
    opt.setup(q_func)
    explorer = chainerrl.explorers.LinearDecayEpsilonGreedy(
        1.0, 0.04, 8000, env.action_space.sample
    )
    rbuf = chainerrl.replay_buffer.ReplayBuffer(10**5, num_steps=3)
    agent = chainerrl.agents.DoubleDQN(
        q_func,
        opt,
        rbuf,
        gamma=0.99,
        explorer=explorer,
        gpu=args.gpu,
        replay_start_size=args.replay_start_size,
        minibatch_size=64,
        update_interval=256,
        n_times_update=128,
        target_update_interval=256,
    )

    chainerrl.experiments.train_agent_with_evaluation(
        agent=agent,
        env=env,
        steps=args.steps,
        eval_n_steps=None,
        eval_n_episodes=args.eval_n_runs,
        eval_interval=args.eval_interval,
        outdir=args.outdir,
        eval_env=eval_env,
        train_max_episode_len=None,
    )
    return args.outdir


if __name__ == "__main__":
    main()
